"""The default "Churn risk" rule opens a follow-up for a churn threat in German, French and Spanish as it
does in English, the comment analysed for real on the answer path (analyser 1.9.0)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.followups import services
from app.models import FollowUpRule
from app.respond import services as respond
from tests.factories import make_contact, make_invitation, make_survey
from tests.followups.conftest import followups

THREATS = {
    "en": "The exports keep failing. We will cancel our subscription.",
    "de": "Der Export bricht ständig ab. Wir werden unseren Vertrag kündigen.",
    "fr": "L'export plante sans arrêt. Nous allons résilier notre abonnement.",
    "es": "La exportación falla todo el tiempo. Nos cambiamos a otro proveedor.",
}


@pytest.mark.parametrize("lang", sorted(THREATS))
def test_a_churn_threat_opens_a_churn_risk_follow_up_in_every_language(admin, lang):
    services.ensure_default_rules()
    # only the churn rule may open it (a threat is also a negative comment, a rule that comes first)
    negative = db.session.execute(
        sa.select(FollowUpRule).where(FollowUpRule.name == "Negative comment")
    ).scalar_one()
    negative.enabled = False
    db.session.commit()
    invitation, _token = make_invitation(make_survey(), make_contact())
    respond.submit_invitation_answer(
        invitation, respond.Answer(score=8, comment=THREATS[lang], comment_present=True, locale=lang)
    )
    [followup] = followups()
    assert followup.reason == "Churn risk"
