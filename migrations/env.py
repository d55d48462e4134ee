import logging
import warnings
from logging.config import fileConfig

from alembic import context
from flask import current_app
from sqlalchemy.exc import SAWarning

# SQLite cannot reflect the expression indexes of cs_0002 (ix_accounts_nps_asc/desc); a migration inspecting
# `accounts` would print that warning on every `make run`; the indexes themselves are kept.
warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index", SAWarning)

# this is the Alembic Config object, which provides
# access to the values within the .ini file in use.
config = context.config

# Interpret the config file for Python logging.
# This line sets up loggers basically.
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")


def get_engine():
    return current_app.extensions["migrate"].db.engine


def get_engine_url():
    return get_engine().url.render_as_string(hide_password=False).replace("%", "%%")


# add your model's MetaData object here
# for 'autogenerate' support
# from myapp import mymodel
# target_metadata = mymodel.Base.metadata
config.set_main_option("sqlalchemy.url", get_engine_url())
target_db = current_app.extensions["migrate"].db

# other values from the config, defined by the needs of env.py,
# can be acquired:
# my_important_option = config.get_main_option("my_important_option")
# ... etc.


def get_metadata():
    if hasattr(target_db, "metadatas"):
        return target_db.metadatas[None]
    return target_db.metadata


def render_item(type_, obj, autogen_context):
    """Render our UTCDateTime as a plain timestamptz, so migrations never import app code."""
    if type_ == "type" and obj.__class__.__name__ == "UTCDateTime":
        return "sa.DateTime(timezone=True)"
    return False


# Made by migrations in raw SQL and unknown to the models (migration explorer_0001): SQLite's FTS5 search
# table (and its shadow tables), PostgreSQL's search_vector column (kept by a trigger) and its GIN index.
UNMODELLED_TABLES = (
    "responses_fts",
    "topic_hits_deferred",  # SQLite only (speedw_0001)
    "topic_account_days",  # PostgreSQL only, raw SQL with BIT strings (topics_0003)
    "topic_account_bits",
    "mail_db_epoch",  # PostgreSQL only, UNLOGGED: emptied by a crash (sendtag_0001, app/mail/delivery.py)
    "topic_pattern_days",  # PostgreSQL only, raw SQL (topics_0004)
    "topic_pattern_answers",
    "topic_account_bit_months",  # PostgreSQL only, raw SQL with BIT strings (topics_0005)
)
# the accounts' NPS sort indexes differ by dialect (cs_0002)
UNMODELLED_INDEXES = ("ix_responses_comment_search", "ix_accounts_nps_asc", "ix_accounts_nps_desc")
UNMODELLED_COLUMNS = ("search_vector",)
# topic_hits' foreign keys: dropped on PostgreSQL (tagw_0001), kept on SQLite, declared by no model
UNMODELLED_FOREIGN_KEYS = ("fk_topic_hits_response_id_responses", "fk_topic_hits_topic_id_topics")


def include_name(name, type_, parent_names):
    """Leave the search tables, column and index out of autogenerate (and `flask db check`)."""
    if type_ == "index":
        return name not in UNMODELLED_INDEXES
    if type_ == "column":
        return name not in UNMODELLED_COLUMNS
    if type_ == "foreign_key_constraint":
        return name not in UNMODELLED_FOREIGN_KEYS
    return not (type_ == "table" and name and name.startswith(UNMODELLED_TABLES))


def run_migrations_offline():
    """Run migrations in 'offline' mode.

    This configures the context with just a URL
    and not an Engine, though an Engine is acceptable
    here as well.  By skipping the Engine creation
    we don't even need a DBAPI to be available.

    Calls to context.execute() here emit the given string to the
    script output.

    """
    url = config.get_main_option("sqlalchemy.url")
    context.configure(url=url, target_metadata=get_metadata(), literal_binds=True)

    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Run migrations in 'online' mode.

    In this scenario we need to create an Engine
    and associate a connection with the context.

    """

    # this callback is used to prevent an auto-migration from being generated
    # when there are no changes to the schema
    # reference: http://alembic.zzzcomputing.com/en/latest/cookbook.html
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = current_app.extensions["migrate"].configure_args
    if conf_args.get("process_revision_directives") is None:
        conf_args["process_revision_directives"] = process_revision_directives
    conf_args.setdefault("render_item", render_item)
    conf_args.setdefault("include_name", include_name)

    connectable = get_engine()

    with connectable.connect() as connection:
        if connection.dialect.name == "postgresql":
            # Never queue behind a long transaction holding a lock on a busy table: fail fast, retry later.
            connection.exec_driver_sql("SET lock_timeout = '5s'")
            connection.commit()  # end the autobegun transaction, or Alembic's own would never commit
        context.configure(connection=connection, target_metadata=get_metadata(), **conf_args)

        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
