"""Scanner-suspect answers (app/respond/suspect.py) are counted nowhere: not listed by the API or the
explorer, their page is not found, the API's figures and the rollups leave them out."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import Response
from app.respond.services import Answer, Verdict, submit_invitation_answer
from tests.factories import make_invitation, make_response, make_survey


def test_a_suspect_answer_is_in_no_list_page_or_figure(app, admin_api, viewer_client):
    with app.app_context():
        survey = make_survey("nps")
        counted = make_response(survey, score=10).id
        inv, _ = make_invitation(survey)
        db.session.commit()
        suspect = submit_invitation_answer(inv, Answer(score=0), Verdict.SUSPECT).response_id
        stored = db.session.execute(
            sa.select(Response.scanner_suspect)
            .where(Response.id == suspect)
            .execution_options(include_scanner_suspects=True)
        ).scalar_one()
        assert stored is True
        survey_id = survey.id
    items = admin_api.get("/responses", query_string={"survey": survey_id}).json["items"]
    assert [item["id"] for item in items] == [counted]
    assert admin_api.get(f"/responses/{suspect}").status_code == 404
    html = viewer_client.get(f"/responses?survey={survey_id}").get_data(as_text=True)
    assert f"/responses/{counted}" in html and f"/responses/{suspect}" not in html
    assert viewer_client.get(f"/responses/{suspect}").status_code == 404
