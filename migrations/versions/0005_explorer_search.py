"""Explorer: saved views per user, full-text search of comments, and a (created_at, id) index for paging

PostgreSQL: a GIN index on to_tsvector(<the comment's language>, comment), built CONCURRENTLY (an
expression index: no table rewrite, no long lock). SQLite: an FTS5 table of stemmed comments kept in step
by triggers that call clearloop_search_text(), a function the app registers on each of its connections
(app/explorer/fulltext.py); this migration therefore runs through the app (flask db upgrade), as all do.

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
# Must stay equal to app.explorer.fulltext.pg_vector_sql() (a test checks that searches use the index).
PG_VECTOR = (
    "to_tsvector(CASE coalesce(language, left(locale, 2))"
    + "".join(f" WHEN '{code}' THEN '{cfg}'::regconfig" for code, cfg in CONFIGS.items())
    + " ELSE 'simple'::regconfig END, coalesce(comment, ''))"
)
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
        # responses is the biggest table: build without blocking writes (outside a transaction).
        with op.get_context().autocommit_block():
            op.create_index(
                PAGE_INDEX,
                "responses",
                ["created_at", "id"],
                postgresql_concurrently=True,
                if_not_exists=True,
            )
            op.execute(
                f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {SEARCH_INDEX} ON responses USING gin ({PG_VECTOR})"
            )
    else:
        op.create_index(PAGE_INDEX, "responses", ["created_at", "id"])
        create_sqlite_search()


def downgrade():
    if op.get_context().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {SEARCH_INDEX}")
            op.drop_index(PAGE_INDEX, table_name="responses", postgresql_concurrently=True, if_exists=True)
    else:
        for trigger in ("responses_fts_insert", "responses_fts_update", "responses_fts_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS responses_fts")
        op.drop_index(PAGE_INDEX, table_name="responses")
    op.drop_table("saved_views")
