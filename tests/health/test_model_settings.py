"""The admin-edited health model: weights of 100 (else a form error naming the sum), anchors, stage
profiles, a new version per save (old ones never edited), snapshots recording their version, the history
with who changed what (audited), and the preview of band changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.health import model, versions
from app.health.services import recompute_health
from app.models import AuditEvent, HealthModelVersion, HealthSnapshot, Lifecycle
from tests.factories import make_account, make_contact, make_response, make_survey

AS_OF = datetime(2026, 6, 1, tzinfo=UTC)


def _form(spec: model.Spec | None = None, **changes) -> dict[str, str]:
    spec = spec or model.default_spec()
    data = {"action": "save"}
    for c in model.COMPONENTS:
        data[f"w_{c.key}"] = f"{spec.weights[c.key]:g}"
        data[f"a_{c.key}"] = model.format_anchors(spec.anchors[c.key])
        for stage in model.PROFILE_STAGES:
            data[f"p_{stage}_{c.key}"] = ""
    data.update({k: str(v) for k, v in changes.items()})
    return data


def _versions(app):
    with app.app_context():
        return (
            db.session.execute(sa.select(HealthModelVersion).order_by(HealthModelVersion.version))
            .scalars()
            .all()
        )


def test_the_page_shows_the_built_in_model(admin_client):
    html = admin_client.get("/health/model").get_data(as_text=True)
    assert 'name="w_nps"' in html and 'value="20"' in html
    assert "-60: 0, -20: 25, 0: 45, 30: 75, 60: 100" in html
    assert "No version saved yet" in html


def test_weights_not_adding_up_to_100_are_a_form_error_naming_the_sum(app, admin_client):
    admin_client.get("/health/model")
    resp = admin_client.post("/health/model", data=_form(w_nps=30))
    assert resp.status_code == 422
    assert "Weights must add up to 100; these add up to 110." in resp.get_data(as_text=True)
    assert _versions(app) == []


def test_bad_anchors_and_profiles_are_refused_with_reasons(app, admin_client):
    admin_client.get("/health/model")
    html = admin_client.post(
        "/health/model", data=_form(a_nps="0: 10, -5: 20", a_csat="nonsense", p_onboarding_nps="50")
    ).get_data(as_text=True)
    assert "the raw values of the anchors must increase" in html
    assert "“nonsense” is not of the form raw value: points." in html
    assert "Onboarding profile: weights must add up to 100; these add up to 50." in html
    resp = admin_client.post("/health/model", data=_form(a_ces="1: 0, 7: 150"))
    assert resp.status_code == 422 and "points must lie between 0 and 100" in resp.get_data(as_text=True)
    resp = admin_client.post("/health/model", data=_form(w_nps="-5", w_csat="40"))
    assert resp.status_code == 422 and "Between 0 and 100." in resp.get_data(as_text=True)
    assert _versions(app) == []


def test_saving_makes_a_new_version_each_time_with_history_and_audit(app, admin_client):
    admin_client.get("/health/model")
    resp = admin_client.post("/health/model", data=_form(w_nps=30, w_csat=0, a_silence="0: 0, 0.5: 100"))
    assert resp.status_code == 303
    profile = {f"p_onboarding_{c.key}": 0 for c in model.COMPONENTS} | {
        "p_onboarding_silence": 60,
        "p_onboarding_nps": 40,
    }
    admin_client.get("/health/model")
    assert (
        admin_client.post(
            "/health/model", data=_form(w_nps=30, w_csat=0, a_silence="0: 0, 0.5: 100", **profile)
        ).status_code
        == 303
    )
    first, second = _versions(app)
    assert (first.version, second.version) == (4, 5)
    assert first.weights["nps"] == 30 and first.weights["csat"] == 0  # the old row is untouched
    assert first.anchors["silence"] == [[0, 0], [0.5, 100]] and first.profiles == {}
    assert "NPS weight 20 → 30" in first.changes and "CSAT weight 10 → 0" in first.changes
    assert second.profiles["onboarding"]["silence"] == 60 and second.changes == ["Onboarding profile added"]
    html = admin_client.get("/health/model").get_data(as_text=True)
    assert (
        "In force: version 5" in html and "NPS weight 20 → 30" in html and "Onboarding profile added" in html
    )
    assert 'name="p_onboarding_silence"' in html and 'value="60"' in html
    with app.app_context():
        events = (
            db.session.execute(
                sa.select(AuditEvent).where(AuditEvent.action == "health_model.save").order_by(AuditEvent.id)
            )
            .scalars()
            .all()
        )
        assert [e.details["version"] for e in events] == [4, 5]
        assert events[0].actor_id == admin_client.user_id


def test_preview_counts_band_changes_without_saving(app, admin_client, rows):
    def build():
        nps, csat = make_survey("nps"), make_survey("csat")
        acct = make_account(renewal_date=date(2027, 6, 1))
        for k in range(6):
            make_response(
                nps,
                score=10,
                account=acct,
                contact=make_contact(acct),
                created_at=AS_OF - timedelta(days=10 + k),
            )
            make_response(csat, score=1, account=acct, created_at=AS_OF - timedelta(days=10 + k))
        recompute_health(AS_OF, [acct.id])
        return [acct]

    rows(build)
    with app.app_context():
        band = db.session.execute(sa.select(HealthSnapshot.band)).scalar()
    # all weight on CSAT (all 1s: 0 points) moves the account to at risk
    weights = {f"w_{c.key}": 0 for c in model.COMPONENTS} | {"w_csat": 100}
    admin_client.get("/health/model")
    resp = admin_client.post("/health/model", data=_form(**weights) | {"action": "preview"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Preview: 1 account of 1 would change band" in html
    assert f"{band.value.replace('_', ' ')} → at risk: 1" in html and _versions(app) == []
    resp = admin_client.post("/health/model", data=_form(**weights), follow_redirects=True)
    assert "Version 4 saved; from the next recompute, 1 account of 1 would change band." in resp.get_data(
        as_text=True
    )


def test_snapshots_record_the_version_and_use_the_stage_profile(db_session):
    nps = make_survey("nps")
    onboarding = make_account(lifecycle_stage=Lifecycle.ONBOARDING)
    growing = make_account(lifecycle_stage=Lifecycle.GROWTH)
    for acct in (onboarding, growing):
        make_response(
            nps, score=10, account=acct, contact=make_contact(acct), created_at=AS_OF - timedelta(days=3)
        )
    base = model.default_spec()
    only_followups = dict.fromkeys(base.weights, 0.0) | {"followups": 100.0}
    spec = model.Spec("new", base.weights, base.anchors, {"onboarding": only_followups})
    versions.save_version(spec, None)
    recompute_health(AS_OF, [onboarding.id, growing.id])
    snaps = {s.account_id: s for s in db.session.execute(sa.select(HealthSnapshot)).scalars()}
    assert {s.model_version for s in snaps.values()} == {"4"}
    assert snaps[onboarding.id].components["weights"] == only_followups
    assert snaps[onboarding.id].components["profile"] == "onboarding"
    assert snaps[onboarding.id].score == 100 and snaps[onboarding.id].coverage == 1.0
    assert (
        snaps[growing.id].components["weights"]["nps"] == 20
        and snaps[growing.id].components["profile"] is None
    )


def test_edited_anchors_change_the_points(db_session):
    base = model.default_spec()
    spec = model.Spec("x", base.weights, base.anchors | {"nps": [(-100, 0), (100, 100)]})
    assert spec.score({"nps": 0.0}).points["nps"] == 50
    assert model.default_spec().score({"nps": 0.0}).points["nps"] == 45


def test_only_admins_open_the_model_page(cs_client, viewer_client):
    assert cs_client.get("/health/model").status_code == 403
    assert viewer_client.get("/health/model").status_code == 403
