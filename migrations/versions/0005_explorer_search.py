"""Explorer: saved views per user, full-text search of comments, and a (created_at, id) index for paging

PostgreSQL: a nullable ``search_vector`` column (expand: no table rewrite), set by a BEFORE trigger to
to_tsvector(<the comment's language>, comment) on every insert and on every change of the comment or its
language, backfilled in batches, with a GIN index built CONCURRENTLY. Stored, so a page that walks the
newest rows checks a word in microseconds instead of re-stemming each comment. SQLite: an FTS5 table of
stemmed comments kept in step by triggers that call clearloop_search_text(), a function the app registers
on each of its connections (app/explorer/fulltext.py); this migration therefore runs through the app
(flask db upgrade), as all do.

Note for later migrations: a batch_alter_table that *recreates* ``responses`` on SQLite drops its
triggers; re-create them (create_sqlite_search below) in such a migration.

Revision ID: explorer_0001
Revises: 0004_intents
Create Date: 2026-12-07 09:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "explorer_0001"
down_revision = "0004_intents"
branch_labels = None
depends_on = None

PAGE_INDEX = "ix_responses_created_id"
SEARCH_INDEX = "ix_responses_comment_search"
CONFIGS = {
    "en": "english",
    "de": "german",
    "fr": "french",
    "es": "spanish",
    "it": "italian",
    "pt": "portuguese",
    "nl": "dutch",
}
# Must stay equal to app.explorer.fulltext.pg_vector_sql() (tests/explorer/test_search.py compares them).
PG_VECTOR = (
    "to_tsvector(CASE coalesce({t}language, left({t}locale, 2))"
    + "".join(f" WHEN '{code}' THEN '{cfg}'::regconfig" for code, cfg in CONFIGS.items())
    + " ELSE 'simple'::regconfig END, coalesce({t}comment, ''))"
)
PG_FUNCTION = (
    "CREATE OR REPLACE FUNCTION responses_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$\n"
    "BEGIN\n  NEW.search_vector := " + PG_VECTOR.format(t="NEW.") + ";\n  RETURN NEW;\nEND\n$$"
)
PG_TRIGGER = (
    "CREATE TRIGGER responses_search_vector BEFORE INSERT OR UPDATE OF comment, language, locale"
    " ON responses FOR EACH ROW EXECUTE FUNCTION responses_search_vector()"
)
BACKFILL_BATCH = 10_000


def backfill_postgresql():
    """Set search_vector on existing rows, a batch of ids per statement (short row locks)."""
    bind = op.get_bind()
    top = bind.exec_driver_sql("SELECT coalesce(max(id), 0) FROM responses").scalar()
    for low in range(0, top + 1, BACKFILL_BATCH):
        bind.exec_driver_sql(
            f"UPDATE responses SET search_vector = {PG_VECTOR.format(t='')}"
            f" WHERE id > {low} AND id <= {low + BACKFILL_BATCH} AND search_vector IS NULL"
        )


def create_postgresql_search():
    op.execute("ALTER TABLE responses ADD COLUMN IF NOT EXISTS search_vector tsvector")
    op.execute(PG_FUNCTION)
    op.execute("DROP TRIGGER IF EXISTS responses_search_vector ON responses")
    op.execute(PG_TRIGGER)
    # responses is the biggest table: backfill and index it without blocking writes (outside a transaction).
    with op.get_context().autocommit_block():
        backfill_postgresql()
        op.create_index(PAGE_INDEX, "responses", ["created_at", "id"], postgresql_concurrently=True,
                        if_not_exists=True)
        op.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {SEARCH_INDEX} ON responses USING gin (search_vector)")


SQLITE_SEARCH = [
    "CREATE VIRTUAL TABLE responses_fts USING fts5(body, tokenize = 'unicode61 remove_diacritics 2')",
    """CREATE TRIGGER responses_fts_insert AFTER INSERT ON responses WHEN new.comment IS NOT NULL
       BEGIN
         INSERT INTO responses_fts (rowid, body)
         VALUES (new.id, clearloop_search_text(new.language, new.locale, new.comment));
       END""",
    """CREATE TRIGGER responses_fts_update AFTER UPDATE OF comment, language, locale ON responses
       WHEN old.comment IS NOT new.comment OR old.language IS NOT new.language OR old.locale IS NOT new.locale
       BEGIN
         DELETE FROM responses_fts WHERE rowid = old.id;
         INSERT INTO responses_fts (rowid, body)
         SELECT new.id, clearloop_search_text(new.language, new.locale, new.comment)
         WHERE new.comment IS NOT NULL;
       END""",
    """CREATE TRIGGER responses_fts_delete AFTER DELETE ON responses
       BEGIN
         DELETE FROM responses_fts WHERE rowid = old.id;
       END""",
    """INSERT INTO responses_fts (rowid, body)
       SELECT id, clearloop_search_text(language, locale, comment) FROM responses WHERE comment IS NOT NULL""",
]


def create_sqlite_search():
    for statement in SQLITE_SEARCH:
        op.execute(statement)


def upgrade():
    op.create_table(
        "saved_views",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_saved_views_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_views")),
        sa.UniqueConstraint("user_id", "name", name=op.f("uq_saved_views_user_id_name")),
    )
    if op.get_context().dialect.name == "postgresql":
        create_postgresql_search()
    else:
        op.create_index(PAGE_INDEX, "responses", ["created_at", "id"])
        create_sqlite_search()


def downgrade():
    if op.get_context().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {SEARCH_INDEX}")
            op.drop_index(PAGE_INDEX, table_name="responses", postgresql_concurrently=True, if_exists=True)
        op.execute("DROP TRIGGER IF EXISTS responses_search_vector ON responses")
        op.execute("DROP FUNCTION IF EXISTS responses_search_vector()")
        op.execute("ALTER TABLE responses DROP COLUMN IF EXISTS search_vector")
    else:
        for trigger in ("responses_fts_insert", "responses_fts_update", "responses_fts_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS responses_fts")
        op.drop_index(PAGE_INDEX, table_name="responses")
    op.drop_table("saved_views")
