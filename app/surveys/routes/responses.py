"""The staff list of responses: score, comment, contact, account and sentiment, with filters."""

from __future__ import annotations

import sqlalchemy as sa
from flask import render_template, request
from flask.typing import ResponseReturnValue

from app.access import staff_required
from app.extensions import db
from app.models import Channel, Survey, SurveyKind
from app.surveys import bp
from app.surveys import queries as svc

PAGE_SIZE = 50


@bp.get("/responses")
@staff_required
def responses() -> ResponseReturnValue:
    """Responses, newest first, filtered by survey, kind, band, channel, comment, sentiment, text, dates."""
    filters = svc.clean_filters(request.args.to_dict())
    page = db.paginate(
        svc.responses_query(filters), per_page=PAGE_SIZE, error_out=False, max_per_page=PAGE_SIZE
    )
    surveys = db.session.execute(sa.select(Survey.id, Survey.name).order_by(Survey.name)).all()
    return render_template(
        "surveys/responses.html",
        page=page,
        filters=filters,
        surveys=surveys,
        kinds=[k.value for k in SurveyKind],
        bands=list(svc.BANDS),
        channels=[c.value for c in Channel],
        sentiments=svc.SENTIMENTS,
    )
