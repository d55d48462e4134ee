"""Account health: the admin-edited model, daily snapshots, why it moved, the backtest; and the accounts'
stored 12-month NPS."""

from flask import Blueprint

bp = Blueprint("health", __name__)
