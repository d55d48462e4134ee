"""Full-text search: writing a comment's language re-stems it only when its text-search configuration changes

Tagging sets ``responses.language`` on every response it tags. The search triggers (explorer_0001) re-stem
the comment on every write of the comment, the language or the locale, although a comment answered on an
English page and detected as English keeps the configuration it was stemmed with at insert: that re-stem
was a large share of a tagging batch's write on PostgreSQL (issue 18 §3). Now the stored vector (PostgreSQL)
or FTS row (SQLite) is kept when the comment is the same and the configuration (the detected language,
else the page's locale, mapped as in app/explorer/fulltext.py) is the same; it is rebuilt otherwise, as
before. What is stored for any row does not change (tests/explorer/test_search.py compares it).

Revision ID: workers_0001
Revises: topics_0001
"""

from alembic import op

revision = "workers_0001"
down_revision = "topics_0001"
branch_labels = None
depends_on = None

# As app.explorer.fulltext.CONFIGS and migration explorer_0001 (a migration keeps its own copy).
CONFIGS = {
    "en": "english",
    "de": "german",
    "fr": "french",
    "es": "spanish",
    "it": "italian",
    "pt": "portuguese",
    "nl": "dutch",
}


def _pg_config(t: str) -> str:
    whens = "".join(f" WHEN '{code}' THEN '{cfg}'::regconfig" for code, cfg in CONFIGS.items())
    return f"CASE coalesce({t}.language, left({t}.locale, 2)){whens} ELSE 'simple'::regconfig END"


PG_VECTOR = f"to_tsvector({_pg_config('NEW')}, coalesce(NEW.comment, ''))"

PG_FUNCTION_NEW = f"""CREATE OR REPLACE FUNCTION responses_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.search_vector IS NOT NULL
     AND NEW.comment IS NOT DISTINCT FROM OLD.comment
     AND ({_pg_config("NEW")}) = ({_pg_config("OLD")}) THEN
    RETURN NEW;  -- same text, same configuration: the stored vector stands
  END IF;
  NEW.search_vector := {PG_VECTOR};
  RETURN NEW;
END
$$"""

PG_FUNCTION_OLD = f"""CREATE OR REPLACE FUNCTION responses_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.search_vector := {PG_VECTOR};
  RETURN NEW;
END
$$"""


def _sqlite_config(t: str) -> str:
    whens = "".join(f" WHEN '{code}' THEN '{cfg}'" for code, cfg in CONFIGS.items())
    return f"CASE coalesce({t}.language, substr({t}.locale, 1, 2)){whens} ELSE 'simple' END"


def _sqlite_update_trigger(when: str) -> str:
    return f"""CREATE TRIGGER responses_fts_update AFTER UPDATE OF comment, language, locale ON responses
       WHEN {when}
       BEGIN
         DELETE FROM responses_fts WHERE rowid = old.id;
         INSERT INTO responses_fts (rowid, body)
         SELECT new.id, clearloop_search_text(new.language, new.locale, new.comment)
         WHERE new.comment IS NOT NULL;
       END"""


SQLITE_WHEN_NEW = (
    f"old.comment IS NOT new.comment OR ({_sqlite_config('old')}) IS NOT ({_sqlite_config('new')})"
)
SQLITE_WHEN_OLD = (
    "old.comment IS NOT new.comment OR old.language IS NOT new.language OR old.locale IS NOT new.locale"
)


def _sqlite_has_search() -> bool:
    bind = op.get_bind()
    found = bind.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = 'responses_fts_update'"
    ).first()
    return found is not None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION_NEW)  # the trigger itself is unchanged: it calls the function
    elif _sqlite_has_search():
        op.execute("DROP TRIGGER responses_fts_update")
        op.execute(_sqlite_update_trigger(SQLITE_WHEN_NEW))


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION_OLD)
    elif _sqlite_has_search():
        op.execute("DROP TRIGGER responses_fts_update")
        op.execute(_sqlite_update_trigger(SQLITE_WHEN_OLD))
