"""Background jobs: thin ``@task`` functions of ids that call feature services and nothing else.

A job is named by its path under this package (``analysis.analyze_responses``); features enqueue it by
that name through ``app.queue`` and never import this package. Importing it declares every job, which
``create_app`` does so that ``app.queue`` knows each job's queue, timeout and retries.
"""

from app.tasks import accounts, analysis, api, dataprotection, followups, health, insights, mail, webhooks

__all__ = [
    "accounts",
    "analysis",
    "api",
    "dataprotection",
    "followups",
    "health",
    "insights",
    "mail",
    "webhooks",
]
