"""Issue 12 items 7, 9 and 11: the demo's own staff addresses are valid sign-in names, the sentiment filter
offers only what the analyser produces, and the unsubscribe page's footer."""

from __future__ import annotations

from app.auth.services import normalise_email
from app.demo.names import STAFF, STAFF_DOMAIN
from app.extensions import db
from nlp.types import LABELS
from tests.factories import make_invitation


def test_every_demo_staff_address_passes_the_users_create_rule(app):
    for local, _name, _role in STAFF:
        assert normalise_email(f"{local}@{STAFF_DOMAIN}") == f"{local}@{STAFF_DOMAIN}"
    result = app.test_cli_runner().invoke(
        args=[
            "users",
            "create",
            "--email",
            f"newcomer@{STAFF_DOMAIN}",
            "--role",
            "pm",
            "--password",
            "granite otter lamp 93 ferry",
        ]
    )
    assert result.exit_code == 0, result.output


def test_the_comment_sentiment_filter_offers_only_what_the_analyser_produces(app, pm_client):
    page = pm_client.get("/responses").get_data(as_text=True)
    start = page.index('name="sentiment"')
    select = page[start : page.index("</select>", start)]
    offered = {chunk.split('"', 1)[0] for chunk in select.split('value="')[1:]} - {""}
    assert offered == set(LABELS) and "mixed" not in select


def test_the_unsubscribe_page_footer_does_not_speak_of_an_answer(app, client):
    with app.app_context():
        _, token = make_invitation()
        db.session.commit()
    page = client.get(f"/r/{token}/unsubscribe").get_data(as_text=True)
    assert "Your answer goes to" not in page and "Survey emails from Clearloop Demo Co." in page
