"""Link tokens (≥128 bits, hashed at rest, tied to SECRET_KEY) and the wording of each survey kind in
each language, with staff overrides and translations."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from app.extensions import db
from app.models import Invitation
from app.surveys.texts import normalize_locale, survey_texts
from app.surveys.tokens import find_invitation, hash_token, new_token, token_for
from tests.factories import make_invitation, make_survey


def test_tokens_are_long_random_and_only_their_hash_is_stored(app):
    with app.app_context():
        made = {new_token().token for _ in range(200)}
        assert len(made) == 200 and all(len(t) == 43 for t in made)  # 256-bit HMAC, urlsafe
        inv, token = make_invitation()
        stored = db.session.execute(sa.select(Invitation.token_hash, Invitation.token_salt)).one()
        assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest() == hash_token(token)
        assert token not in (stored.token_hash, stored.token_salt) and len(stored.token_salt) == 32
        assert token_for(inv) == token and find_invitation(token).id == inv.id


def test_a_token_from_another_secret_key_or_edited_is_not_found(app, monkeypatch):
    with app.app_context():
        _, token = make_invitation()
        assert find_invitation(token[:-1] + ("a" if token[-1] != "a" else "b")) is None
        assert find_invitation(token + "x") is None and find_invitation("") is None
        monkeypatch.setitem(app.config, "SECRET_KEY", "another key")
        assert find_invitation(token) is None  # the stored hash matches, the HMAC check does not


@pytest.mark.parametrize(
    ("value", "expected"),
    [("de-AT", "de"), ("fr_CA", "fr"), ("ES", "es"), ("pt-BR", "en"), ("", "en"), (None, "en")],
)
def test_locales_map_to_a_supported_language(app, value, expected):
    with app.app_context():
        assert normalize_locale(value) == expected


def test_standard_wording_per_kind_and_language(app):
    with app.app_context():
        nps, ces = make_survey("nps"), make_survey("ces")
        en = survey_texts(nps, "en")
        assert en.question == "How likely are you to recommend Clearloop Demo Co. to a friend or colleague?"
        assert en.scores == tuple(range(11)) and (en.low_label, en.high_label) == (
            "Not at all likely",
            "Extremely likely",
        )
        assert en.followup_for(nps.kind, 3) == "What should we fix first?"
        assert en.followup_for(nps.kind, None) == "What is the main reason for your score?"
        assert (
            survey_texts(ces, "en").question == "Clearloop Demo Co. made it easy for me to handle my issue."
        )
        with force_locale("de"):
            de = survey_texts(nps, "de")
        assert de.question.startswith("Wie wahrscheinlich ist es") and de.followup_for(nps.kind, 10) == (
            "Was schätzen Sie am meisten?"
        )


def test_staff_texts_are_english_and_translations_win_in_their_language(app):
    with app.app_context():
        survey = make_survey(
            "csat",
            question="How did our onboarding go?",
            followup_by_band={"negative": "Ouch. Why?"},
            translations={"de": {"question": "Wie lief das Onboarding?"}},
        )
        assert survey_texts(survey, "en").question == "How did our onboarding go?"
        assert survey_texts(survey, "en").followup_for(survey.kind, 1) == "Ouch. Why?"
        with force_locale("de"):
            assert survey_texts(survey, "de").question == "Wie lief das Onboarding?"
        with force_locale("fr"):
            fr = survey_texts(survey, "fr")
        assert fr.question == "Dans quelle mesure êtes-vous satisfait(e) de Clearloop Demo Co. ?"
        assert fr.followup_for(survey.kind, 1) == "Qu’est-ce qui n’a pas fonctionné ?"
