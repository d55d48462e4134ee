"""The API's marshmallow schemas: what each call accepts (unknown fields refused) and what it returns."""

from __future__ import annotations

from datetime import UTC

from marshmallow import RAISE, Schema, fields, validate

from app.models import Channel, FormCategory, Lifecycle, SurveyKind, Tier

MAX_BULK = 1000
MAX_PAGE = 200
TEXT = validate.Length(max=200)


class Strict(Schema):
    """Refuse unknown fields: no mass assignment (RELIABILITY 13)."""

    class Meta:
        unknown = RAISE


class ProblemSchema(Schema):
    """An RFC 9457 problem document."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    instance = fields.String()
    errors = fields.Raw(metadata={"description": "Per-field messages of a validation error"})


class PageArgs(Strict):
    """Paging and sync arguments every list takes."""

    cursor = fields.String(
        validate=validate.Length(max=500), metadata={"description": "next_cursor of the page before"}
    )
    limit = fields.Integer(load_default=50, validate=validate.Range(1, MAX_PAGE))
    updated_since = fields.AwareDateTime(
        default_timezone=UTC,
        metadata={"description": "Only objects changed at or after this time (ISO 8601)"},
    )


class PageSchema(Schema):
    """A page of a list: its items and the cursor of the next page (null on the last)."""

    next_cursor = fields.String(allow_none=True, required=True)


class AccountSchema(Schema):
    """An account as the API returns it."""

    id = fields.Integer(required=True)
    external_id = fields.String(allow_none=True)
    name = fields.String(required=True)
    domain = fields.String(allow_none=True)
    arr = fields.Integer()
    plan = fields.String(allow_none=True)
    tier = fields.Enum(Tier, by_value=True, allow_none=True)
    lifecycle_stage = fields.Enum(Lifecycle, by_value=True, allow_none=True)
    renewal_date = fields.Date(allow_none=True)
    attributes = fields.Dict()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class AccountInSchema(Strict):
    """The fields a client may set on an account."""

    name = fields.String(validate=validate.Length(1, 200))
    external_id = fields.String(allow_none=True, validate=validate.Length(max=100))
    domain = fields.String(allow_none=True, validate=validate.Length(max=253))
    arr = fields.Integer(validate=validate.Range(0, 10**12))
    plan = fields.String(allow_none=True, validate=validate.Length(max=50))
    tier = fields.String(allow_none=True, validate=validate.OneOf([t.value for t in Tier]))
    lifecycle_stage = fields.String(allow_none=True, validate=validate.OneOf([s.value for s in Lifecycle]))
    renewal_date = fields.Date(allow_none=True)
    attributes = fields.Dict(keys=fields.String(), values=fields.Raw())


class AccountPage(PageSchema):
    """A page of accounts."""

    items = fields.List(fields.Nested(AccountSchema), required=True)


class ContactSchema(Schema):
    """A contact as the API returns it."""

    id = fields.Integer(required=True)
    email = fields.String(required=True)
    name = fields.String()
    title = fields.String(allow_none=True)
    role = fields.String(allow_none=True)
    locale = fields.String()
    account_id = fields.Integer(allow_none=True)
    unsubscribed_at = fields.AwareDateTime(allow_none=True)
    bounced_at = fields.AwareDateTime(allow_none=True)
    attributes = fields.Dict()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class ContactInSchema(Strict):
    """The fields a client may set on a contact; the account by id or by its external id."""

    email = fields.String(validate=validate.Length(3, 254))
    name = fields.String(validate=TEXT)
    title = fields.String(allow_none=True, validate=TEXT)
    role = fields.String(allow_none=True, validate=validate.Length(max=100))
    locale = fields.String(validate=validate.Length(2, 10))
    account_id = fields.Integer(allow_none=True, validate=validate.Range(1, 2**31 - 1))
    account_external_id = fields.String(validate=validate.Length(1, 100))
    attributes = fields.Dict(keys=fields.String(), values=fields.Raw())


class ContactPage(PageSchema):
    """A page of contacts."""

    items = fields.List(fields.Nested(ContactSchema), required=True)


class BulkContactsSchema(Strict):
    """Up to 1,000 contacts to create or update by email, each checked on its own."""

    contacts = fields.List(fields.Dict(), required=True, validate=validate.Length(1, MAX_BULK))


class BulkRowSchema(Schema):
    """The outcome of one row of a bulk upsert."""

    index = fields.Integer(required=True)
    status = fields.String(required=True, metadata={"description": "created, updated, unchanged or error"})
    id = fields.Integer(allow_none=True)
    errors = fields.Dict(keys=fields.String(), values=fields.Raw())


class BulkResultSchema(Schema):
    """Every row's outcome, in order, and the counts."""

    results = fields.List(fields.Nested(BulkRowSchema), required=True)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())


class SurveySchema(Schema):
    """A survey."""

    id = fields.Integer(required=True)
    name = fields.String()
    kind = fields.Enum(SurveyKind, by_value=True)
    status = fields.String(attribute="status.value")
    question = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class SurveyPage(PageSchema):
    """A page of surveys."""

    items = fields.List(fields.Nested(SurveySchema), required=True)


class TopicRefSchema(Schema):
    """A topic found in a response, with its own sentiment."""

    id = fields.Integer()
    name = fields.String()
    sentiment = fields.String(allow_none=True)
    source = fields.String()


class ResponseSchema(Schema):
    """A response with its analysis: topics, intents and sentiment."""

    id = fields.Integer(required=True)
    survey_id = fields.Integer()
    kind = fields.String()
    channel = fields.String()
    contact_id = fields.Integer(allow_none=True)
    account_id = fields.Integer(allow_none=True)
    score = fields.Integer(allow_none=True)
    band = fields.String(allow_none=True)
    comment = fields.String(allow_none=True)
    form_category = fields.String(allow_none=True)
    respondent_email = fields.String(allow_none=True)
    locale = fields.String()
    analysis_state = fields.String()
    sentiment = fields.String(allow_none=True)
    sentiment_score = fields.Float(allow_none=True)
    topics = fields.List(fields.Nested(TopicRefSchema))
    intents = fields.List(fields.String())
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class ResponsePage(PageSchema):
    """A page of responses."""

    items = fields.List(fields.Nested(ResponseSchema), required=True)


class ResponseInSchema(Strict):
    """A response gathered through another channel (a help desk, an in-app widget, an import)."""

    survey_id = fields.Integer(required=True, validate=validate.Range(1, 2**31 - 1))
    score = fields.Integer(allow_none=True, validate=validate.Range(0, 10))
    comment = fields.String(allow_none=True, validate=validate.Length(max=20_000))
    form_category = fields.String(allow_none=True, validate=validate.OneOf([c.value for c in FormCategory]))
    contact_id = fields.Integer(validate=validate.Range(1, 2**31 - 1))
    contact_email = fields.String(validate=validate.Length(3, 254))
    channel = fields.String(
        load_default=Channel.API.value, validate=validate.OneOf([Channel.API.value, Channel.IMPORT.value])
    )
    external_id = fields.String(
        validate=validate.Length(1, 60),
        metadata={"description": "Your id for this answer: sending it again updates the same response"},
    )
    locale = fields.String(validate=validate.Length(2, 10))


class ResponseListArgs(PageArgs):
    """The explorer's filters, as query arguments."""

    survey = fields.Integer(validate=validate.Range(1, 2**31 - 1))
    kind = fields.String(validate=validate.OneOf([k.value for k in SurveyKind]))
    band = fields.String(
        validate=validate.OneOf(["promoter", "passive", "detractor", "positive", "neutral", "negative"])
    )
    channel = fields.String(validate=validate.OneOf([c.value for c in Channel]))
    comment = fields.String(validate=validate.OneOf(["with", "without"]))
    sentiment = fields.String(validate=validate.OneOf(["positive", "negative", "neutral", "mixed"]))
    q = fields.String(validate=validate.Length(max=200))
    start = fields.Date()
    end = fields.Date()
    account = fields.Integer(validate=validate.Range(1, 2**31 - 1))
    contact = fields.Integer(validate=validate.Range(1, 2**31 - 1))
    topic = fields.Integer(validate=validate.Range(1, 2**31 - 1))
    intent = fields.String(validate=validate.Length(max=40))
    tier = fields.String(validate=validate.OneOf([t.value for t in Tier]))
    plan = fields.String(validate=validate.Length(max=50))
    sort = fields.String(validate=validate.OneOf(["newest", "oldest", "score_low", "score_high"]))


class TopicSchema(Schema):
    """A node of the topic taxonomy."""

    id = fields.Integer(required=True)
    name = fields.String()
    parent_id = fields.Integer(allow_none=True)
    description = fields.String(allow_none=True)


class TopicList(Schema):
    """Every topic."""

    items = fields.List(fields.Nested(TopicSchema), required=True)


class TombstoneSchema(Schema):
    """An erased or deleted object: delete your copy."""

    id = fields.Integer(required=True)
    resource = fields.String()
    object_id = fields.Integer()
    reason = fields.String()
    created_at = fields.AwareDateTime()


class TombstonePage(PageSchema):
    """A page of tombstones, oldest first."""

    items = fields.List(fields.Nested(TombstoneSchema), required=True)


class MetricsArgs(Strict):
    """Which metric, over what period, by what bucket and segment."""

    kind = fields.String(required=True, validate=validate.OneOf(["nps", "csat", "ces"]))
    bucket = fields.String(load_default="week", validate=validate.OneOf(["day", "week", "month"]))
    segment = fields.String(validate=validate.OneOf(["tier", "plan", "lifecycle_stage", "account"]))
    start = fields.Date(metadata={"description": "First local day (workspace zone); default 90 days ago"})
    end = fields.Date(metadata={"description": "Last local day; default today"})
    survey = fields.Integer(validate=validate.Range(1, 2**31 - 1))


class MetricRowSchema(Schema):
    """One bucket (of one segment): the value, its 95% interval and sample size."""

    bucket = fields.String(required=True)
    segment = fields.Raw(allow_none=True)
    value = fields.Float(allow_none=True)
    n = fields.Integer()
    low = fields.Float(allow_none=True)
    high = fields.Float(allow_none=True)
    flagged = fields.Boolean()
    promoters = fields.Integer()
    passives = fields.Integer()
    detractors = fields.Integer()
    easy_share = fields.Float(allow_none=True)


class MetricsSchema(Schema):
    """A metric by bucket and segment."""

    kind = fields.String()
    bucket = fields.String()
    segment = fields.String(allow_none=True)
    timezone = fields.String()
    rows = fields.List(fields.Nested(MetricRowSchema), required=True)


class EmailArgs(Strict):
    """A contact named by id or email."""

    email = fields.String(validate=validate.Length(3, 254))
    contact_id = fields.Integer(validate=validate.Range(1, 2**31 - 1))


class SuppressedSchema(Schema):
    """An unsubscribed or bounced contact."""

    contact_id = fields.Integer()
    email = fields.String()
    at = fields.AwareDateTime()


class SuppressedPage(PageSchema):
    """A page of unsubscribes or bounces, oldest first."""

    items = fields.List(fields.Nested(SuppressedSchema), required=True)


class SendInSchema(Strict):
    """A send: a survey to an audience (all contacts, by tier/plan/lifecycle, accounts, or emails)."""

    survey_id = fields.Integer(required=True, validate=validate.Range(1, 2**31 - 1))
    audience = fields.Dict(
        required=True, metadata={"description": '{"type": "emails", "emails": [...]} etc.'}
    )
    scheduled_at = fields.AwareDateTime(default_timezone=UTC)
    reminder_days = fields.Integer(allow_none=True, validate=validate.Range(1, 30))


class SendSchema(Schema):
    """A send and its state."""

    id = fields.Integer(required=True)
    survey_id = fields.Integer()
    status = fields.String(attribute="status.value")
    audience = fields.Dict()
    scheduled_at = fields.AwareDateTime()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class SendPage(PageSchema):
    """A page of sends."""

    items = fields.List(fields.Nested(SendSchema), required=True)


class EndpointInSchema(Strict):
    """A webhook receiver: its URL and the events it wants (none: every event)."""

    url = fields.String(required=True, validate=validate.Length(1, 2000))
    events = fields.List(fields.String(validate=validate.Length(max=40)), load_default=list)
    description = fields.String(load_default="", validate=validate.Length(max=200))


class EndpointSchema(Schema):
    """A webhook endpoint (its secret only in the answer that creates it)."""

    id = fields.Integer(required=True)
    url = fields.String()
    events = fields.List(fields.String())
    description = fields.String()
    state = fields.String(attribute="state.value")
    secret = fields.String(
        metadata={"description": "whsec_ secret; returned only when the endpoint is created"}
    )
    created_at = fields.AwareDateTime()


class EndpointList(Schema):
    """Every webhook endpoint."""

    items = fields.List(fields.Nested(EndpointSchema), required=True)


class ContactExportSchema(Schema):
    """Everything stored about a contact."""

    contact = fields.Dict(required=True)
    account = fields.Dict(allow_none=True)
    responses = fields.List(fields.Dict())
    invitations = fields.List(fields.Dict())
    exported_at = fields.String()


class FollowUpArgs(PageArgs):
    """Filter follow-ups by state."""

    state = fields.String(validate=validate.OneOf(["open", "contacted", "resolved", "reopened", "overdue"]))


class FollowUpSchema(Schema):
    """A follow-up (closing the loop on a response)."""

    id = fields.Integer(required=True)
    response_id = fields.Integer()
    contact_id = fields.Integer(allow_none=True)
    account_id = fields.Integer(allow_none=True)
    assignee_id = fields.Integer(allow_none=True)
    state = fields.String(attribute="state.value")
    reason = fields.String()
    due_at = fields.AwareDateTime(allow_none=True)
    contacted_at = fields.AwareDateTime(allow_none=True)
    resolved_at = fields.AwareDateTime(allow_none=True)
    resolution_code = fields.String(allow_none=True)
    escalation_level = fields.Integer()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class FollowUpPage(PageSchema):
    """A page of follow-ups, oldest change first."""

    items = fields.List(fields.Nested(FollowUpSchema), required=True)


class FollowUpActionSchema(Strict):
    """One action on a follow-up, as in the app: contacted, resolve, reopen, assign or note."""

    action = fields.String(
        required=True, validate=validate.OneOf(["contacted", "resolve", "reopen", "assign", "note"])
    )
    note = fields.String(validate=validate.Length(max=5000))
    channel = fields.String(validate=validate.Length(max=30))
    code = fields.String(
        validate=validate.Length(max=30), metadata={"description": "resolution code (resolve)"}
    )
    loop = fields.String(validate=validate.OneOf(["inner", "outer"]))
    root_topic_id = fields.Integer(validate=validate.Range(1, 2**31 - 1))
    assignee_id = fields.Integer(validate=validate.Range(1, 2**31 - 1))


class HealthPointSchema(Schema):
    """One health snapshot of an account."""

    as_of = fields.Date()
    score = fields.Integer()
    band = fields.String(attribute="band.value")
    drivers = fields.Dict()
    components = fields.Dict()


class HealthSchema(Schema):
    """An account's latest health and its history (newest first)."""

    account_id = fields.Integer(required=True)
    latest = fields.Nested(HealthPointSchema, allow_none=True)
    history = fields.List(fields.Nested(HealthPointSchema), required=True)
