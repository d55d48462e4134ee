"""Full-text search of comments on the backend the suite runs on (SQLite FTS5 or PostgreSQL with GIN):
stemming in the comment's own language, phrases, exclusions, alternatives, and every write path of
``responses.comment`` (insert, edit, erasure, deletion, a language found by tagging) kept in step."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.explorer.filters import ExplorerFilters
from app.explorer.fulltext import config_for, fts5_match, parse_query, search_text
from app.explorer.queries import page_ids
from app.extensions import db
from app.models import Response
from tests.factories import make_response, make_survey

COMMENTS = {
    "en": ("The invoices were wrong and billing support was slow", "en"),
    "en2": ("Exporting reports to Excel keeps failing", "en"),
    "de": ("Die Rechnungen sind seit Monaten falsch", "de"),
    "fr": ("Les factures arrivent toujours en retard", "fr"),
    "es": ("Las facturas llegan tarde cada mes", "es"),
    "pending": ("Die Abrechnungen verwirren uns", None),  # not tagged yet: stemmed by the page's locale
}


@pytest.fixture
def corpus(app):
    with app.app_context():
        survey = make_survey()
        ids = {}
        for name, (text, lang) in COMMENTS.items():
            locale = "de" if name == "pending" else "en"
            ids[name] = make_response(survey, comment=text, language=lang, locale=locale).id
        db.session.commit()
        yield ids


def search(q: str) -> set[int]:
    return set(page_ids(ExplorerFilters.from_args({"q": q}), size=100))


def names(corpus, q: str) -> set[str]:
    found = search(q)
    return {name for name, rid in corpus.items() if rid in found}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("invoice", {"en"}),  # English stemming: invoices -> invoic
        ("INVOICING", {"en"}),
        ("export report", {"en2"}),  # exporting/reports
        ("rechnung", {"de"}),  # German stemming: Rechnungen -> rechnung
        ("abrechnung", {"pending"}),  # pending rows are stemmed by their locale
        ("facture", {"fr", "es"}),  # French facture(s) and Spanish facturas meet at "factur"
        ("retard", {"fr"}),
        ("tarde", {"es"}),
        ("the invoices", {"en"}),  # stop words do not have to be in the comment
        ('"billing support"', {"en"}),
        ('"support billing"', set()),  # a phrase keeps its order
        ("invoice -slow", set()),
        ("invoice or rechnung", {"en", "de"}),
        ("nothing-like-this", set()),
    ],
)
def test_search_stems_in_each_language(app, corpus, query, expected):
    with app.app_context():
        assert names(corpus, query) == expected


@pytest.mark.parametrize(
    "query", ['"', "NEAR(a b)", "a* OR", "AND", ")(", "^x", "col:x", "'; DROP TABLE x;--"]
)
def test_search_syntax_never_leaks_into_sql_or_fts(app, corpus, query):
    with app.app_context():
        search(query)  # no error on either backend


def test_every_write_keeps_the_search_right(app, corpus):
    with app.app_context():
        row = db.session.get(Response, corpus["en2"])
        row.comment = "The dashboard freezes on login"  # an edit by the respondent
        db.session.commit()
        assert names(corpus, "export") == set() and names(corpus, "freezing") == {"en2"}
        db.session.execute(sa.update(Response).where(Response.id == corpus["en"]).values(comment=None))
        db.session.commit()  # erasure blanks the comment (a Core UPDATE: no ORM events)
        assert names(corpus, "invoice") == set()
        db.session.execute(sa.update(Response).where(Response.id == corpus["pending"]).values(language="en"))
        db.session.commit()  # tagging found another language: the comment is stemmed again
        db.session.execute(sa.delete(Response).where(Response.id == corpus["de"]))
        db.session.commit()
        assert names(corpus, "rechnung") == set()


def test_query_parsing_and_the_fts5_expression():
    q = parse_query('invoices "export to excel" -pdf or Rechnungen')
    assert [[(t.text, t.phrase, t.negated) for t in g] for g in q.groups] == [
        [("invoices", False, False), ("export to excel", True, False), ("pdf", False, True)],
        [("Rechnungen", False, False)],
    ]
    assert not parse_query("-only -negative") and not parse_query('"" %% --')
    expression = fts5_match(parse_query('say "hi"" there'))
    assert expression is not None and '""' not in expression.replace('" "', "")
    assert config_for(None, "de-AT") == "german" and config_for("ja", "en") == "simple"
    assert search_text("de", "en", "Die Rechnungen") == "die rechnung"


def test_postgresql_searches_use_the_gin_index(app, corpus, postgres_url):
    with app.app_context():
        if db.session.get_bind().dialect.name != "postgresql":
            pytest.skip("this suite runs on SQLite; the PostgreSQL run checks the plan")
        from app.explorer.queries import conditions

        stmt = sa.select(Response.id).where(*conditions(ExplorerFilters.from_args({"q": "invoice"})))
        compiled = stmt.compile(dialect=db.session.get_bind().dialect, compile_kwargs={"literal_binds": True})
        db.session.execute(sa.text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(db.session.execute(sa.text(f"EXPLAIN {compiled}")).scalars())
        assert "ix_responses_comment_search" in plan, plan


def test_postgresql_stores_what_the_app_means_by_a_comment_vector(app, corpus, postgres_url):
    with app.app_context():
        if db.session.get_bind().dialect.name != "postgresql":
            pytest.skip("this suite runs on SQLite; the PostgreSQL run checks the trigger")
        from app.explorer.fulltext import pg_vector_sql

        same = sa.text(f"SELECT bool_and(search_vector = {pg_vector_sql('responses')}) FROM responses")
        assert db.session.execute(same).scalar() is True
