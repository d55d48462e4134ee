"""Full-text search of comments: PostgreSQL text search (GIN index) in production, SQLite FTS5 by default.

Both stem with the Snowball stemmer of the comment's own language: the language tagging detected, or
before tagging the language of the page the respondent answered on (``locale``). German "Rechnungen"
and "Rechnung" meet at one stem only under German rules, so stemming everything as English would find
little in de/fr/es comments; languages without a stemmer use ``simple`` (lower-cased words, no stemming)
so nothing is lost. The person searching does not say which language they type, so a query is read in
every configured language and the readings are OR-ed: a comment matches when the query, stemmed by the
rules of some language, is in it (and always when read in the comment's own language).

PostgreSQL keeps ``responses.search_vector`` = ``to_tsvector(<config of the row>, comment)``, set by a
trigger on every write of the comment or its language and indexed with GIN (migration ``explorer_0001``).
SQLite keeps ``responses_fts`` (FTS5) in step with ``responses`` through triggers that call
``clearloop_search_text`` — the same stemmers (PyStemmer is libstemmer, the Snowball code PostgreSQL
ships), registered on every connection the app opens (``app/database.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import sqlalchemy as sa
import Stemmer
from sqlalchemy.dialects import postgresql

from app.explorer.stopwords import STOP_WORDS

# Response language (ISO 639-1) -> PostgreSQL text-search configuration (= Snowball stemmer name).
CONFIGS = {
    "en": "english",
    "de": "german",
    "fr": "french",
    "es": "spanish",
    "it": "italian",
    "pt": "portuguese",
    "nl": "dutch",
}
FALLBACK = "simple"
QUERY_CONFIGS = (*CONFIGS.values(), FALLBACK)
MAX_TERMS = 12
MAX_QUERY_CHARS = 200
WORD_RE = re.compile(r"[^\W_]+")  # what FTS5's unicode61 tokenizer calls a token
QUERY_RE = re.compile(r'(-?)"([^"]*)"?|(\S+)')


def pg_vector_sql(table: str = "") -> str:
    """``to_tsvector(<the row's configuration>, comment)``: what migration explorer_0001's trigger stores."""
    col = f"{table}." if table else ""
    whens = "".join(f" WHEN '{code}' THEN '{cfg}'::regconfig" for code, cfg in CONFIGS.items())
    config = f"CASE coalesce({col}language, left({col}locale, 2)){whens} ELSE '{FALLBACK}'::regconfig END"
    return f"to_tsvector({config}, coalesce({col}comment, ''))"


def config_for(language: str | None, locale: str | None) -> str:
    """The text-search configuration of a comment: its detected language, else the page's locale."""
    code = language if language is not None else (locale or "")[:2]
    return CONFIGS.get(code or "", FALLBACK)


@cache
def _stemmer(config: str) -> Any:
    return Stemmer.Stemmer(config)


def stems(config: str, text: str) -> list[str]:
    """The words of ``text`` lower-cased and stemmed by ``config`` (``simple``: not stemmed)."""
    words = WORD_RE.findall(text.lower())
    if config == FALLBACK or not words:
        return words
    return _stemmer(config).stemWords(words)


def search_text(language: str | None, locale: str | None, comment: str | None) -> str | None:
    """What SQLite indexes for a comment: its stems, space-separated (None for no comment)."""
    if not comment:
        return None
    return " ".join(stems(config_for(language, locale), comment))


def register_sqlite(dbapi_connection: Any) -> None:
    """Make ``clearloop_search_text`` available to this SQLite connection's FTS triggers."""
    dbapi_connection.create_function("clearloop_search_text", 3, search_text, deterministic=True)


@dataclass(frozen=True)
class Term:
    """A word or a quoted phrase of a query; ``negated`` terms must not be in the comment."""

    text: str
    phrase: bool = False
    negated: bool = False


@dataclass(frozen=True)
class Query:
    """A parsed search: alternatives (``or``) of conjunctions of terms, web-search style."""

    groups: tuple[tuple[Term, ...], ...] = field(default_factory=tuple)

    def __bool__(self) -> bool:
        return bool(self.groups)


def parse_query(text: str | None) -> Query:
    """Parse ``words "a phrase" -excluded or other``; groups without a positive term are dropped."""
    groups: list[list[Term]] = [[]]
    count = 0
    for match in QUERY_RE.finditer((text or "")[:MAX_QUERY_CHARS]):
        negated, phrase, word = match.group(1) == "-", match.group(2), match.group(3)
        if word is not None and word.lower() == "or":
            groups.append([])
            continue
        if word is not None:
            negated, word = word.startswith("-"), word.lstrip("-")
        body = " ".join(WORD_RE.findall(phrase if phrase is not None else word or ""))
        if not body or count >= MAX_TERMS:
            continue
        count += 1
        groups[-1].append(Term(body, phrase=phrase is not None or " " in body, negated=negated))
    kept = tuple(tuple(g) for g in groups if any(not t.negated for t in g))
    return Query(kept)


def _fts5_string(words: list[str]) -> str:
    return '"' + " ".join(words).replace('"', '""') + '"'


def _fts5_group(config: str, group: tuple[Term, ...]) -> str | None:
    """One reading of one group in FTS5 syntax; None when every positive word is a stop word."""
    stop = STOP_WORDS.get(config, frozenset())
    positive, negative = [], []
    for term in group:
        words = [w for w in WORD_RE.findall(term.text.lower()) if term.phrase or w not in stop]
        if not words:
            continue
        (negative if term.negated else positive).append(_fts5_string(stems(config, " ".join(words))))
    if not positive:
        return None
    return "(" + " AND ".join(positive) + "".join(f" NOT {n}" for n in negative) + ")"


def fts5_match(query: Query) -> str | None:
    """The FTS5 MATCH expression of a query: every reading OR-ed (quoted strings only: no syntax leaks)."""
    readings = {r for group in query.groups for cfg in QUERY_CONFIGS if (r := _fts5_group(cfg, group))}
    return " OR ".join(sorted(readings)) if readings else None


def _pg_term(config: str, term: Term) -> sa.ColumnElement[Any]:
    func = sa.func.phraseto_tsquery if term.phrase else sa.func.plainto_tsquery
    # ``config`` comes from QUERY_CONFIGS (never from the request); the searched text is a bound value.
    out = func(sa.literal_column(f"'{config}'::regconfig"), sa.literal(term.text, sa.Text))
    return sa.func.tsquery_not(out) if term.negated else out


def _fold(func: Any, parts: list[sa.ColumnElement[Any]]) -> sa.ColumnElement[Any]:
    out = parts[0]
    for part in parts[1:]:
        out = func(out, part)
    return out


def pg_readings(session: Any, query: Query) -> str | None:
    """The query as one tsquery text, each distinct reading once (PostgreSQL stems it, in one round trip).

    Most words read the same in several languages; OR-ing identical readings would make the planner count
    a word eight times and misjudge how rare it is (and walk the whole table for a word no comment has).
    """
    readings = [
        sa.cast(_fold(sa.func.tsquery_and, [_pg_term(config, t) for t in group]), sa.Text)
        for group in query.groups
        for config in QUERY_CONFIGS
    ]
    texts = session.execute(sa.select(*readings)).one()
    distinct = [t for t in dict.fromkeys(texts) if t]
    return " | ".join(f"( {t} )" for t in distinct) if distinct else None


def match_value(query: Query, dialect: str, session: Any = None) -> str | None:
    """What ``match_condition``'s bound value is for a query: PostgreSQL's tsquery text (stemmed by the
    database, one round trip), SQLite's FTS5 expression; None when it has only stop words."""
    return pg_readings(session, query) if dialect == "postgresql" else fts5_match(query)


def match_condition(dialect: str, value: sa.ColumnElement[str]) -> sa.ColumnElement[bool]:
    """A condition on ``responses`` true for comments matching ``value`` (a ``match_value``, bound)."""
    from app.models import Response

    if dialect == "postgresql":
        tsquery = sa.cast(value, postgresql.TSQUERY)
        return sa.literal_column("responses.search_vector").op("@@")(tsquery)
    fts = sa.table("responses_fts", sa.column("rowid", sa.Integer))
    found = sa.select(fts.c.rowid).where(sa.literal_column("responses_fts").op("MATCH")(value))
    return Response.id.in_(found)


def matches(query: Query, dialect: str, session: Any = None) -> sa.ColumnElement[bool]:
    """A condition on ``responses`` that is true for comments matching the query."""
    value = match_value(query, dialect, session)
    if value is None:
        return sa.false()  # only stop words: nothing to look for
    return match_condition(dialect, sa.literal(value, sa.Text))
