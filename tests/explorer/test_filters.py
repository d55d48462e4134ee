"""Each explorer filter alone, then combined, against the hand-built world; bad values are dropped."""

from __future__ import annotations

import pytest

from app.extensions import db
from tests.explorer.conftest import page_ids

ALL = ["r8", "r7", "r6", "r5", "r4", "r3", "r2", "r1"]  # newest first


def shown(client, world, query: str) -> list[str]:
    """Names of the world's responses the page shows for a query, in page order."""
    by_id = {v: k for k, v in world.ids.items() if k.startswith("r")}
    return [by_id[i] for i in page_ids(client, query)]


def test_no_filter_lists_everything_newest_first(viewer_client, world):
    assert shown(viewer_client, world, "") == ALL


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kind=nps", ["r3", "r2", "r1"]),
        ("kind=form", ["r8"]),
        ("band=detractor", ["r1"]),
        ("band=passive", ["r3"]),
        ("band=promoter", ["r2"]),
        ("band=satisfied", ["r4"]),
        ("band=dissatisfied", ["r5"]),
        ("band=easy", ["r7"]),
        ("band=difficult", ["r6"]),
        ("band=positive", ["r7", "r4"]),
        ("band=negative", ["r6", "r5"]),
        ("channel=link", ["r4"]),
        ("channel=form", ["r8"]),
        ("comment=without", ["r3"]),
        ("comment=with", ["r8", "r7", "r6", "r5", "r4", "r2", "r1"]),
        ("sentiment=negative", ["r6", "r5", "r1"]),
        ("mention_sentiment=negative", ["r1"]),  # r5's negative mention was rejected by a person
        ("mention_sentiment=neutral", ["r8"]),
        ("intent=complaint", ["r1"]),
        ("intent=feature_request", ["r8"]),
        ("tier=enterprise", ["r8", "r4", "r3", "r1"]),
        ("plan=Basic", ["r7", "r5", "r2"]),
        ("stage=at_risk", ["r7", "r5", "r2"]),
        ("lang=de", ["r5"]),
        ("followup=none", ["r8", "r7", "r5", "r4", "r3"]),
        ("followup=open", ["r1"]),
        ("followup=contacted", ["r6"]),
        ("followup=resolved", ["r2"]),
        ("followup=overdue", ["r1"]),
        ("start=2026-03-14", ["r8", "r7", "r6", "r5"]),
        ("end=2026-03-11", ["r2", "r1"]),
        ("start=2026-03-11&end=2026-03-12", ["r3", "r2"]),
        ("q=invoice", ["r1"]),
        ("q=rechnung", ["r5"]),
    ],
)
def test_each_filter_alone(viewer_client, world, query, expected):
    assert shown(viewer_client, world, query) == expected


def test_id_filters(viewer_client, world):
    assert shown(viewer_client, world, f"survey={world.csat}") == ["r5", "r4"]
    assert shown(viewer_client, world, f"account={world.small}") == ["r7", "r5", "r2"]
    assert shown(viewer_client, world, f"contact={world.alice}") == ["r8", "r3", "r1"]
    assert shown(viewer_client, world, f"csm={world.owner}") == ["r8", "r4", "r3", "r1"]


def test_a_parent_topic_includes_its_children(viewer_client, world):
    assert shown(viewer_client, world, f"topic={world.billing}") == ["r4", "r1"]
    assert shown(viewer_client, world, f"topic={world.invoices}") == ["r1"]  # r5's tag was rejected
    assert shown(viewer_client, world, f"topic={world.onboarding}") == ["r8", "r2"]  # manual tags count


def test_filters_combine(viewer_client, world):
    assert shown(viewer_client, world, f"topic={world.billing}&mention_sentiment=negative") == ["r1"]
    assert shown(viewer_client, world, f"topic={world.billing}&mention_sentiment=positive") == ["r4"]
    assert shown(
        viewer_client, world, f"topic={world.onboarding}&tier=enterprise&intent=feature_request"
    ) == ["r8"]
    assert shown(viewer_client, world, "kind=nps&followup=none&tier=enterprise") == ["r3"]
    assert shown(viewer_client, world, "sentiment=negative&lang=en&start=2026-03-11") == ["r6"]
    assert shown(viewer_client, world, f"account={world.big}&comment=with&q=sso") == ["r8"]
    assert shown(viewer_client, world, "band=detractor&followup=resolved") == []


def test_dates_are_workspace_local_days(app, viewer_client, world):
    from app.workspace_settings import set_settings

    with app.app_context():
        # r1 was answered at 12:00 UTC on 10 March: 02:00 on 11 March in Kiritimati (UTC+14).
        set_settings({"timezone": "Pacific/Kiritimati"})
        db.session.commit()
    assert shown(viewer_client, world, "start=2026-03-11&end=2026-03-11") == ["r1"]
    assert shown(viewer_client, world, "end=2026-03-10") == []


@pytest.mark.parametrize(
    "query",
    [
        "band=everything&kind=' OR 1=1&survey=x&start=yesterday&sort=id;drop",
        "topic=-1&intent=angry&mention_sentiment=furious&followup=someday&lang=english123",
        "survey=99999999999999999999&account=0&contact=1e3&csm=-1&tier=platinum&stage=dead",
        "after=not-a-cursor&after=1~2~3~4&q=%22%22&q=-only-negative",
        "topic=999999&survey=999999&account=999999",  # unknown ids are dropped like malformed ones
        "plan=" + "x" * 300,
    ],
)
def test_unknown_or_malformed_values_are_dropped(viewer_client, world, query):
    assert shown(viewer_client, world, query) == ALL


def test_the_filters_survive_in_every_link(viewer_client, world):
    html = viewer_client.get(f"/responses?topic={world.billing}&band=detractor&sort=oldest").get_data(
        as_text=True
    )
    assert f"topic={world.billing}" in html and "Billing" in html  # the chip names the topic
    assert f'name="topic" value="{world.billing}"' in html  # export, save and tag forms carry them


def test_a_response_that_joined_a_follow_up_is_filtered_and_shown_with_it(viewer_client, world, app):
    from app.explorer.queries import followups_for
    from app.models import FollowUp, followup_responses, utcnow

    with app.app_context():
        opened_by_r1 = db.session.execute(
            db.select(FollowUp.id).where(FollowUp.response_id == world.r1)
        ).scalar()
        db.session.execute(
            followup_responses.insert().values(
                followup_id=opened_by_r1, response_id=world.r3, attached_at=utcnow()
            )
        )
        db.session.commit()
        shown_with = followups_for([world.r1, world.r3, world.r4])
        assert {rid: f.id for rid, f in shown_with.items()} == {
            world.r1: opened_by_r1,
            world.r3: opened_by_r1,
        }
    assert shown(viewer_client, world, "followup=open") == ["r3", "r1"]
    assert "r3" not in shown(viewer_client, world, "followup=none")
