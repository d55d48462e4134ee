"""Trend annotations: admins add and remove them (audited), every staff role sees them on the chart and in
the table; one about a segment is drawn only on charts split by that segment; bad input is a 422."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Tier, TrendAnnotation
from tests.factories import make_account, make_response, make_survey
from tests.helpers import text

RANGE = "start=2026-01-01&end=2026-03-31&grain=month"


@pytest.fixture
def data(rows):
    def build():
        nps = make_survey("nps")
        big = make_account(name="Bigco", tier=Tier.ENTERPRISE)
        for month, score in ((1, 10), (2, 3), (3, 9)):
            make_response(nps, score=score, account=big, created_at=datetime(2026, month, 10, 12, tzinfo=UTC))
        return nps

    return rows(build)


def notes(app):
    with app.app_context():
        return [
            (n.day, n.label, n.segment, n.segment_value)
            for n in db.session.execute(sa.select(TrendAnnotation).order_by(TrendAnnotation.id)).scalars()
        ]


def test_an_admin_adds_and_removes_annotations_audited(admin_client, app, data):
    assert admin_client.get("/trends/annotations").status_code == 200
    added = admin_client.post(
        "/trends/annotations",
        data={"day": "2026-02-01", "label": "Release 4.2", "segment": "", "segment_value": ""},
    )
    assert added.status_code == 303
    tiered = admin_client.post(
        "/trends/annotations",
        data={
            "day": "2026-02-15",
            "label": "Enterprise price change",
            "segment": "tier",
            "segment_value": "Enterprise",
        },
    )
    assert tiered.status_code == 303
    assert notes(app) == [
        (date(2026, 2, 1), "Release 4.2", None, None),
        (date(2026, 2, 15), "Enterprise price change", "tier", "enterprise"),
    ]
    page = text(admin_client.get("/trends/annotations"))
    assert "Release 4.2" in page and "tier: enterprise" in page
    with app.app_context():
        note_id = db.session.execute(
            sa.select(TrendAnnotation.id).where(TrendAnnotation.segment.is_(None))
        ).scalar()
        actions = db.session.execute(sa.select(AuditEvent.action, AuditEvent.details)).all()
    assert [a for a, _ in actions if a.startswith("trend_annotation")] == ["trend_annotation.create"] * 2
    assert (
        admin_client.post(f"/trends/annotations/{note_id}/delete", page="/trends/annotations").status_code
        == 303
    )
    assert [n[1] for n in notes(app)] == ["Enterprise price change"]
    again = admin_client.post(f"/trends/annotations/{note_id}/delete", csrf="session", follow_redirects=True)
    assert "already removed" in text(again)
    with app.app_context():
        deleted = db.session.execute(
            sa.select(AuditEvent.details).where(AuditEvent.action == "trend_annotation.delete")
        ).scalar_one()
    assert deleted["label"] == "Release 4.2"


def test_annotations_on_the_chart_and_in_the_table(viewer_client, app, rows, data):
    def build():
        db.session.add_all(
            [
                TrendAnnotation(day=date(2026, 2, 1), label="Billing outage"),
                TrendAnnotation(
                    day=date(2026, 3, 16), label="SMB price change", segment="tier", segment_value="smb"
                ),
                TrendAnnotation(day=date(2025, 6, 1), label="Out of range"),
            ]
        )

    rows(build)
    resp = viewer_client.get(f"/trends?{RANGE}")
    assert resp.status_code == 200
    page, html = text(resp), resp.get_data(as_text=True)
    assert "Billing outage" in page and "SMB price change" in page and "Out of range" not in page
    assert "(drawn when split by this segment)" in page
    assert len(re.findall(r'class="note-line"', html)) == 1  # only the unsegmented one on the overall chart
    by_tier = viewer_client.get(f"/trends?{RANGE}&segment=tier").get_data(as_text=True)
    assert len(re.findall(r'class="note-line"', by_tier)) == 2


def test_the_mark_sits_at_its_day_within_the_bucket(app, data):
    from app.trends.charts import LEFT, RIGHT, annotation_marks
    from app.trends.series import TrendFilters, build_trend

    with app.app_context():
        from werkzeug.datastructures import MultiDict

        filters = TrendFilters.from_args(
            MultiDict({"start": "2026-01-01", "end": "2026-03-31"}), date(2026, 4, 1)
        )
        trend = build_trend(filters)
        marks = annotation_marks(
            trend,
            [
                TrendAnnotation(day=date(2026, 2, 1), label="a"),
                TrendAnnotation(day=date(2026, 3, 16), label="b"),
            ],
        )
    step = (760 - LEFT - RIGHT) / 3
    assert marks[0].x == pytest.approx(LEFT + step)  # start of February
    assert marks[1].x == pytest.approx(LEFT + step * (2 + 15 / 31))
    assert [m.number for m in marks] == [1, 2]


@pytest.mark.parametrize(
    "form, message",
    [
        ({"day": "", "label": "x"}, "Give the day"),
        ({"day": "2026-13-01", "label": "x"}, "Give the day"),
        ({"day": "2026-01-01", "label": ""}, "Say what happened"),
        ({"day": "2026-01-01", "label": "x" * 121}, "120"),
        ({"day": "2026-01-01", "label": "x", "segment": "planet"}, "Not a valid choice"),
        ({"day": "2026-01-01", "label": "x", "segment": "tier", "segment_value": "gold"}, "Use one of"),
        ({"day": "2026-01-01", "label": "x", "segment": "tier", "segment_value": ""}, "segment's value"),
        ({"day": "2026-01-01", "label": "x", "segment": "", "segment_value": "smb"}, "Choose which segment"),
        ({"day": "2026-01-01", "label": "x", "segment": "account", "segment_value": "abc"}, "whole number"),
    ],
)
def test_bad_annotations_are_refused_with_a_reason(admin_client, app, form, message):
    admin_client.get("/trends/annotations")
    resp = admin_client.post("/trends/annotations", data={"segment": "", "segment_value": ""} | form)
    assert resp.status_code == 422
    assert message in text(resp)
    assert notes(app) == []


def test_a_delete_without_csrf_or_of_nothing(admin_client, app):
    assert admin_client.post("/trends/annotations/1/delete", csrf=False).status_code == 400
    gone = admin_client.post("/trends/annotations/999/delete", csrf="session", follow_redirects=True)
    assert gone.status_code == 200 and "already removed" in text(gone)


def test_the_annotations_link_shows_for_admins_only(admin_client, viewer_client, data):
    assert "/trends/annotations" in admin_client.get(f"/trends?{RANGE}").get_data(as_text=True)
    assert "/trends/annotations" not in viewer_client.get(f"/trends?{RANGE}").get_data(as_text=True)
