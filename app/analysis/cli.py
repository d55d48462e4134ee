"""``flask topics ...`` commands."""

from flask.cli import AppGroup

topics_cli = AppGroup("topics", help="Topic taxonomy and tagging.")
