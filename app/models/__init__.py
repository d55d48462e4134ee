"""All models, importable from one place (Alembic autogenerate reads the metadata from here)."""

from app.models.accounts import Account, ArrChange, ArrSource, Contact, Lifecycle, Suppression, Tier
from app.models.api import ApiToken, IdempotencyKey, Tombstone
from app.models.base import Base, utcnow
from app.models.digests import Alert, Digest, DigestState, Team, TeamMessage, team_members, team_topics
from app.models.explorer import SavedView
from app.models.followups import (
    OPEN_STATES,
    FollowUp,
    FollowUpEvent,
    FollowUpMessage,
    FollowUpRule,
    FollowUpState,
    followup_responses,
)
from app.models.health import HealthBand, HealthModelVersion, HealthOverride, HealthSnapshot
from app.models.responses import AnalysisState, Channel, FormCategory, Response, score_band
from app.models.rollups import NO_ACCOUNT, SCORE_VALUES, ResponseDayRollup, ResponseRollup, RollupTzOffset
from app.models.surveys import (
    SCORE_RANGES,
    DeliveryState,
    Invitation,
    LinkClick,
    Send,
    SendStatus,
    Survey,
    SurveyKind,
    SurveyStatus,
)
from app.models.topic_hits import TopicDay, TopicDayTotal, TopicHit
from app.models.topics import INTENTS, Mention, MentionSource, ResponseIntent, RetagRun, RetagState, Topic
from app.models.trends import TrendAnnotation
from app.models.users import LoginThrottle, Role, User
from app.models.webhooks import (
    DeliveryStatus,
    EndpointState,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookMessage,
)
from app.models.workspace import AuditEvent, ImportBatch, OutboxMessage, Setting

__all__ = [
    "INTENTS",
    "NO_ACCOUNT",
    "OPEN_STATES",
    "SCORE_RANGES",
    "SCORE_VALUES",
    "Account",
    "Alert",
    "AnalysisState",
    "ApiToken",
    "ArrChange",
    "ArrSource",
    "AuditEvent",
    "Base",
    "Channel",
    "Contact",
    "DeliveryState",
    "DeliveryStatus",
    "Digest",
    "DigestState",
    "EndpointState",
    "FollowUp",
    "FollowUpEvent",
    "FollowUpMessage",
    "FollowUpRule",
    "FollowUpState",
    "FormCategory",
    "HealthBand",
    "HealthModelVersion",
    "HealthOverride",
    "HealthSnapshot",
    "IdempotencyKey",
    "ImportBatch",
    "Invitation",
    "Lifecycle",
    "LinkClick",
    "LoginThrottle",
    "Mention",
    "MentionSource",
    "OutboxMessage",
    "Response",
    "ResponseDayRollup",
    "ResponseIntent",
    "ResponseRollup",
    "RetagRun",
    "RetagState",
    "Role",
    "RollupTzOffset",
    "SavedView",
    "Send",
    "SendStatus",
    "Setting",
    "Suppression",
    "Survey",
    "SurveyKind",
    "SurveyStatus",
    "Team",
    "TeamMessage",
    "Tier",
    "Tombstone",
    "Topic",
    "TopicDay",
    "TopicDayTotal",
    "TopicHit",
    "TrendAnnotation",
    "User",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookMessage",
    "followup_responses",
    "score_band",
    "team_members",
    "team_topics",
    "utcnow",
]
