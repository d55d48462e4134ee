"""The response rollups (fine: day × survey × account × kind; day: day × survey × kind; month: kind × month ×
account; segment: attribute × kind × day × the account's current value): kept by the same triggers on every
write path, each equal to a full recomputation (hypothesis: inserts, score edits, moves, deletes,
scanner-suspect flips, account attribute changes, deleted accounts and CSMs, kinds, time zones), local days
in the workspace time zone (DST included), a real key for no account, and the rebuild command."""

from __future__ import annotations

import importlib.util
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.extensions import db
from app.models import (
    Account,
    Lifecycle,
    Response,
    ResponseDayRollup,
    ResponseMonthRollup,
    ResponseMonthTotal,
    ResponseRollup,
    ResponseSegmentRollup,
    Role,
    SurveyKind,
    Tier,
    User,
)
from app.trends import rollup_sql
from app.trends.services import rebuild_rollups, timezone_changed
from tests.factories import make_account, make_response, make_survey

COLUMNS = ["n", *[f"s{k}" for k in range(11)]]
START = datetime(2026, 3, 27, 20, 0, tzinfo=UTC)  # spans Europe's spring-forward night (29 March)


def stored() -> dict[tuple, tuple]:
    """Rollup rows as {(day, survey, account key, kind): (n, s0..s10)}."""
    rows = db.session.execute(sa.select(ResponseRollup)).scalars()
    return {(r.day, r.survey_id, r.account_key, r.kind): tuple(getattr(r, c) for c in COLUMNS) for r in rows}


def stored_days() -> dict[tuple, tuple]:
    """Day rollup rows as {(day, survey, kind): (n, s0..s10)}."""
    rows = db.session.execute(sa.select(ResponseDayRollup)).scalars()
    return {(r.day, r.survey_id, r.kind): tuple(getattr(r, c) for c in COLUMNS) for r in rows}


def stored_months() -> dict[tuple, tuple]:
    """Month rollup rows as {(kind, month, account key): (n, s0..s10)}."""
    rows = db.session.execute(sa.select(ResponseMonthRollup)).scalars()
    return {(r.kind, r.month, r.account_key): tuple(getattr(r, c) for c in COLUMNS) for r in rows}


def stored_totals() -> dict[tuple, int]:
    """Running totals as {(kind, month, account key): n}."""
    rows = db.session.execute(sa.select(ResponseMonthTotal)).scalars()
    return {(r.kind, r.month, r.account_key): r.n for r in rows}


def totals_of(months: dict[tuple, tuple]) -> dict[tuple, int]:
    """The running totals month rollup rows ``months`` ({(kind, month, account key): (n, …)}) imply: at
    each of an account's months, its answers of the kind in that month and every earlier one."""
    return {
        (kind, month, key): sum(
            c[0] for (k, m, a), c in months.items() if (k, a) == (kind, key) and m <= month
        )
        for kind, month, key in months
    }


def stored_segments() -> dict[tuple, tuple]:
    """Segment rollup rows as {(segment, kind, day, value): (n, s0..s10)}."""
    rows = db.session.execute(sa.select(ResponseSegmentRollup)).scalars()
    return {(r.segment, r.kind, r.day, r.value): tuple(getattr(r, c) for c in COLUMNS) for r in rows}


def _text(value) -> str:
    return "" if value is None else str(getattr(value, "value", value))


def recomputed_derived(zone: str) -> tuple[dict[tuple, tuple], dict[tuple, tuple]]:
    """The month and segment rollups from the counted responses and the accounts' current attributes,
    by Python (independent of the SQL)."""
    tz = ZoneInfo(zone)
    months: dict[tuple, Counter] = {}
    segments: dict[tuple, Counter] = {}
    for r in db.session.execute(sa.select(Response)).scalars():
        day = r.created_at.astimezone(tz).date()
        a = r.account
        values = {
            "tier": _text(a and a.tier),
            "plan": _text(a and a.plan),
            "stage": _text(a and a.lifecycle_stage),
            "csm": _text(a and a.csm_owner_id),
        }
        keys = [(months, (r.kind.value, day.replace(day=1), r.account_id or 0))]
        keys += [(segments, (s, r.kind.value, day, v)) for s, v in values.items()]
        for cells, key in keys:
            cell = cells.setdefault(key, Counter())
            cell["n"] += 1
            if r.score is not None:
                cell[f"s{r.score}"] += 1
    return tuple(  # type: ignore[return-value]
        {key: tuple(c[col] for col in COLUMNS) for key, c in cells.items()} for cells in (months, segments)
    )


def recomputed(zone: str, by_account: bool = True) -> dict[tuple, tuple]:
    """The same figures from the counted responses (the ORM read leaves scanner-suspect answers out), by
    Python and zoneinfo (independent of the SQL); ``by_account=False``: the day rollup's grain."""
    tz = ZoneInfo(zone)
    cells: dict[tuple, Counter] = {}
    for r in db.session.execute(sa.select(Response)).scalars():
        assert not r.scanner_suspect
        day = r.created_at.astimezone(tz).date()
        key = (
            (day, r.survey_id, r.account_id or 0, r.kind.value)
            if by_account
            else (day, r.survey_id, r.kind.value)
        )
        cell = cells.setdefault(key, Counter())
        cell["n"] += 1
        if r.score is not None:
            cell[f"s{r.score}"] += 1
    return {key: tuple(c[col] for col in COLUMNS) for key, c in cells.items()}


OPS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                *["insert", "insert", "insert", "score", "move", "retime", "delete", "drop_account"],
                *["suspect", "attribute", "attribute", "bulk_attribute", "drop_csm"],
            ]
        ),
        st.integers(0, 10_000),
        st.integers(0, 10),
        st.integers(0, 6 * 24 * 60),  # minutes after START
    ),
    max_size=25,
)


RESPONSE_OPS = ("insert", "score", "move", "retime", "suspect", "delete")


def _apply_response_op(op, pick, score, at, live, surveys, accounts, suspect_every) -> None:
    """One of the ``RESPONSE_OPS`` on the responses (an insert when none is live yet; ``at``: an insert's
    or a retime's time)."""
    if op == "insert" or not live:
        survey = surveys[pick % len(surveys)]
        score = max(1, min(score, 5)) if survey.kind == SurveyKind.CSAT else score
        live.append(
            make_response(
                survey,
                score=score,
                account=accounts[pick % len(accounts)],
                created_at=at,
                scanner_suspect=pick % suspect_every == 0,
            )
        )
    elif op == "score":
        target = live[pick % len(live)]
        if target.kind == SurveyKind.NPS:
            target.score = score
    elif op == "move":
        live[pick % len(live)].account = accounts[(pick // 7) % len(accounts)]
    elif op == "retime":
        live[pick % len(live)].created_at = at
    elif op == "suspect":  # a scanner signal makes it suspect; a person's action confirms it
        target = live[pick % len(live)]
        target.scanner_suspect = not target.scanner_suspect
    elif op == "delete":
        db.session.delete(live.pop(pick % len(live)))
    else:
        raise ValueError(op)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(ops=OPS, zone=st.sampled_from(["UTC", "Europe/Berlin", "America/St_Johns", "Pacific/Kiritimati"]))
def test_rollups_equal_a_full_recomputation(db_session, ops, zone):
    """After random inserts (some scanner-suspect), score edits, account moves, new times, deletes,
    deleted accounts, scanner-suspect flips either way, changes of an account's tier, plan, stage or CSM
    (one account, or several in one statement) and deleted CSMs: every rollup equals a recomputation."""
    savepoint = db.session.begin_nested()
    try:
        timezone_changed(zone)
        surveys = [make_survey("nps"), make_survey("csat"), make_survey("form")]
        csms = [
            User(email=f"csm{i}-{id(ops)}@example.com", name="CSM", role=Role.ADMIN, password_hash="x")
            for i in range(2)
        ]
        db.session.add_all(csms)
        db.session.flush()
        accounts: list[Account | None] = [
            None,
            make_account(tier=Tier.SMB, plan="pro", csm_owner_id=csms[0].id),
            make_account(lifecycle_stage=Lifecycle.RENEWAL),
        ]
        choices = {
            "tier": [None, *Tier],
            "plan": [None, "pro", "basic"],
            "lifecycle_stage": [None, Lifecycle.ONBOARDING, Lifecycle.AT_RISK],
            "csm_owner_id": [],  # the CSMs not deleted yet
        }
        live: list[Response] = []
        for op, pick, score, minutes in ops:
            at = START + timedelta(minutes=minutes)
            if op in RESPONSE_OPS or not live:
                _apply_response_op(op, pick, score, at, live, surveys, accounts, suspect_every=5)
            elif op in ("attribute", "bulk_attribute"):  # history follows the account's current value
                column = list(choices)[pick % 4]
                options = [None, *(u.id for u in csms)] if column == "csm_owner_id" else choices[column]
                value = options[score % len(options)]
                if op == "attribute" and accounts[-1] is not None:
                    setattr(accounts[pick % (len(accounts) - 1) + 1], column, value)
                else:
                    db.session.flush()
                    db.session.execute(sa.update(Account).values({column: value}))
                    db.session.expire_all()
            elif op == "drop_csm" and csms:  # accounts' csm_owner_id: SET NULL
                gone = csms.pop(pick % len(csms))
                db.session.flush()
                db.session.execute(sa.delete(User).where(User.id == gone.id))
                db.session.expire_all()
            elif op == "drop_account" and accounts[-1] is not None:
                gone = accounts.pop()
                db.session.flush()
                db.session.execute(sa.delete(Account).where(Account.id == gone.id))  # responses: SET NULL
                db.session.expire_all()
            db.session.flush()
        db.session.expire_all()
        assert stored() == recomputed(zone)
        assert stored_days() == recomputed(zone, by_account=False)
        assert (stored_months(), stored_segments()) == recomputed_derived(zone)
        assert stored_totals() == totals_of(recomputed_derived(zone)[0])
        before = stored(), stored_days(), stored_months(), stored_segments(), stored_totals()
        rebuild_rollups()
        assert (stored(), stored_days(), stored_months(), stored_segments(), stored_totals()) == before
    finally:
        savepoint.rollback()


TOTAL_OPS = st.lists(
    st.tuples(
        st.sampled_from(["insert", "insert", "insert", "score", "move", "retime", "delete", "suspect"]),
        st.integers(0, 10_000),
        st.integers(0, 10),
        st.integers(0, 8 * 31),  # days after START: months with answers, gaps between them
    ),
    max_size=30,
)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(ops=TOTAL_OPS, zone=st.sampled_from(["UTC", "Pacific/Kiritimati"]))
def test_month_totals_equal_a_recomputation(db_session, ops, zone):
    """The running totals by month (kept by the month rollup's triggers) over eight months: after random
    inserts, score edits, moves between accounts, new times (into an earlier or a later month, or one
    with no answers yet), deletes (a month left empty loses its row, later totals lose its answers) and
    scanner-suspect flips, every account's total at each of its months equals a recomputation; the
    rebuild gives the same rows."""
    savepoint = db.session.begin_nested()
    try:
        timezone_changed(zone)
        surveys = [make_survey("nps"), make_survey("csat")]
        accounts = [None, make_account(), make_account(), make_account()]
        live: list[Response] = []
        for op, pick, score, days in ops:
            at = START + timedelta(days=days, minutes=pick % 1440)
            _apply_response_op(op, pick, score, at, live, surveys, accounts, suspect_every=7)
            db.session.flush()
        db.session.expire_all()
        months = recomputed_derived(zone)[0]
        assert stored_months() == months
        assert stored_totals() == totals_of(months)
        rebuild_rollups()
        assert stored_totals() == totals_of(months)
    finally:
        savepoint.rollback()


def test_local_day_follows_the_workspace_zone_and_dst(db_session):
    """23:30 UTC is the next day in Berlin; a zone change through the settings page rebuilds the days."""
    from app.main.services import save_settings

    survey = make_survey("nps")
    make_response(
        survey, score=10, created_at=datetime(2026, 7, 1, 23, 30, tzinfo=UTC)
    )  # CEST: 01:30 on 2 July
    make_response(survey, score=0, created_at=datetime(2026, 1, 1, 22, 59, tzinfo=UTC))  # CET: 23:59 on 1 Jan
    days = {key[0] for key in stored()}
    assert days == {date(2026, 7, 1), date(2026, 1, 1)}
    save_settings({"timezone": "Europe/Berlin"}, None)
    assert {key[0] for key in stored()} == {date(2026, 7, 2), date(2026, 1, 1)}
    make_response(
        survey, score=9, created_at=datetime(2026, 7, 1, 22, 0, tzinfo=UTC)
    )  # the trigger, 00:00 local
    assert stored()[(date(2026, 7, 2), survey.id, 0, "nps")][0] == 2
    assert stored_days() == recomputed("Europe/Berlin", by_account=False)
    save_settings({"timezone": "UTC"}, None)
    assert stored() == recomputed("UTC")
    assert stored_days() == recomputed("UTC", by_account=False)


def test_no_account_responses_share_one_real_key(db_session):
    """Responses without an account add up in one row (account key 0), not one row each."""
    survey = make_survey("nps")
    at = datetime(2026, 5, 5, 12, tzinfo=UTC)
    for score in (10, 10, 3):
        make_response(survey, score=score, created_at=at)
    assert stored() == {(date(2026, 5, 5), survey.id, 0, "nps"): (3, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 2)}
    assert stored_days() == {(date(2026, 5, 5), survey.id, "nps"): (3, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 2)}


def test_rebuild_command_recomputes_damaged_rollups(app):
    """`flask rollups rebuild` repairs rollups that drifted (e.g. triggers dropped during a bulk load)."""
    with app.app_context():
        survey = make_survey("nps")
        make_response(survey, score=7, created_at=datetime(2026, 5, 5, 12, tzinfo=UTC))
        db.session.execute(sa.update(ResponseRollup).values(n=99))
        db.session.execute(sa.update(ResponseDayRollup).values(n=98))
        db.session.execute(sa.update(ResponseMonthTotal).values(n=97))
        db.session.add(ResponseMonthTotal(kind="nps", month=date(2026, 4, 1), account_key=0, n=5))
        db.session.flush()
        result = app.test_cli_runner().invoke(args=["rollups", "rebuild"])
        assert result.exit_code == 0, result.output
        assert "rebuilt 1 rollup rows" in result.output
        assert stored() == recomputed("UTC")
        assert stored_days() == recomputed("UTC", by_account=False)
        assert stored_totals() == {("nps", date(2026, 5, 1), 0): 1}


def _migration(name: str):
    path = Path(__file__).resolve().parents[2] / "migrations" / "versions" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def _unordered(statements: list[str]) -> list[str]:
    """The statements without the ORDER BY that ends a rebuild's INSERT … SELECT (same rows)."""
    return [s.rsplit(" ORDER BY ", 1)[0] if s.startswith("INSERT") else s for s in statements]


def test_migration_holds_the_same_sql_as_the_app():
    """The frozen copy in the migration that last replaced the triggers (rollup_0002: four rollups, the
    accounts' triggers; trends_0002: the month rollup's running totals) produces exactly the app's
    statements; cs_0001's offset history is the app's."""
    module = _migration("rollup_0002_month_and_segment_rollups")
    assert module.sqlite_triggers() == rollup_sql.sqlite_triggers()
    assert module.postgresql_statements() == rollup_sql.postgresql_statements()
    assert module.postgresql_drop_account_triggers() == rollup_sql.postgresql_drop_account_triggers()
    for dialect in ("sqlite", "postgresql"):  # the app now writes a rebuild's rows in key order
        assert module.rebuild_statements(dialect) == _unordered(rollup_sql.rebuild_statements(dialect))
        assert module.derived_fill(dialect) == _unordered(rollup_sql.derived_fill(dialect))
        assert all(
            " ORDER BY " in s for s in rollup_sql.rebuild_statements(dialect) if s.startswith("INSERT")
        )
    totals = _migration("trends_0002_month_totals")  # the month rollup's running totals
    assert totals.totals_sqlite_triggers() == rollup_sql.totals_sqlite_triggers()
    assert totals.totals_postgresql_statements() == rollup_sql.totals_postgresql_statements()
    assert totals.totals_fill() == rollup_sql.totals_fill()
    first = _migration("cs_0001_response_rollups")
    assert tuple(first.offset_history("Europe/Berlin")) == rollup_sql.offset_history("Europe/Berlin")
