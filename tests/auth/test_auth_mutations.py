"""Known answers for app/auth (issue 20's mutation goal), called directly: the password policy at its
boundaries, the production hashing parameters, users made and changed, session ids, and the sign-in
throttle on both sides of each limit and of the lock's expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.auth.passwords import (
    MAX_LENGTH,
    MIN_LENGTH,
    burn_time,
    hash_password,
    password_problem,
    verify_password,
)
from app.auth.services import (
    GENERIC_FAILURE,
    UserError,
    authenticate,
    change_password,
    create_user,
    end_all_sessions,
    load_user,
    normalise_email,
    set_role,
    sign_out,
    unlock_user,
)
from app.extensions import db
from app.models import AuditEvent, LoginThrottle, Role, User, utcnow
from tests.conftest import TEST_PASSWORD
from tests.factories import make_user

STRONG = "kq8#Vz!m2R"  # ten characters, zxcvbn score 3: just acceptable
WRONG = "not the password at all"


def _user(user_id: int) -> User:
    return db.session.execute(
        sa.select(User).where(User.id == user_id).execution_options(populate_existing=True)
    ).scalar_one()


def _throttles(user_id: int) -> dict[str, tuple[int, object]]:
    rows = db.session.execute(
        sa.select(LoginThrottle)
        .where(LoginThrottle.user_id == user_id)
        .execution_options(populate_existing=True)
    ).scalars()
    return {t.ip: (t.failures, t.locked_until) for t in rows}


def _audits(user_id: int) -> list[tuple[str, int | None, str | None]]:
    rows = db.session.execute(
        sa.select(AuditEvent.action, AuditEvent.actor_id, AuditEvent.ip)
        .where(AuditEvent.target_type == "user", AuditEvent.target_id == str(user_id))
        .order_by(AuditEvent.id)
    ).all()
    return [tuple(r) for r in rows]


def _naive(value):
    return value.replace(tzinfo=None) if value is not None else None


# --- passwords -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        (STRONG[:-1], f"Use at least {MIN_LENGTH} characters."),  # nine characters
        (STRONG, None),  # ten, score 3 (the minimum strength)
        ("zebulonquixotic", None),  # score 3 with no personal inputs
        ("x" * 10, 'Repeats like "aaa" are easy to guess. Try a longer passphrase of unrelated words.'),
        ("correct horse battery staple " + "q" * (MAX_LENGTH - 29), None),  # exactly 128
        ("correct horse battery staple " + "q" * (MAX_LENGTH - 28), f"Use at most {MAX_LENGTH} characters."),
        # only the first 72 characters are rated: a weak start is weak whatever follows
        (
            "a" * 72 + STRONG,
            'Repeats like "aaa" are easy to guess. Try a longer passphrase of unrelated words.',
        ),
    ],
)
def test_the_password_policy_at_its_boundaries(app, password, problem):
    assert password_problem(password) == problem


def test_personal_words_make_a_password_guessable(app):
    fallback = "That password is too easy to guess. Try a longer passphrase of unrelated words."
    assert password_problem("zebulonquixotic", ("Zebulonquixotic",)) == fallback
    assert password_problem("zebulonquixotic", ("", "someone@example.com")) is None  # empty inputs ignored


def test_production_hashing_uses_the_owasp_argon2id_parameters(app, monkeypatch):
    monkeypatch.setitem(app.config, "ARGON2_PARAMS", None)
    with app.app_context():
        stored = hash_password(STRONG)
        assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=2$")
        assert verify_password(stored, STRONG) is True
        assert verify_password(stored, STRONG + "x") is False


def test_verifying_never_raises(app):
    with app.app_context():
        assert verify_password("not a hash", STRONG) is False
        assert verify_password(hash_password(STRONG), "") is False
        assert burn_time(STRONG) is None


# --- users ------------------------------------------------------------------------------------------


def test_emails_are_checked_and_lower_cased():
    assert normalise_email("  Ann.Lee@Example.COM ") == "ann.lee@example.com"
    with pytest.raises(UserError, match=r"^'not an email' is not a valid email address: "):
        normalise_email("not an email")


def test_a_new_user_is_stored_with_a_checked_email_role_and_password(app):
    with app.app_context():
        user = create_user(" New.Person@Example.com ", STRONG, name="  Pat Doe ")
        user_id = user.id
        db.session.rollback()  # committed by create_user
        stored = _user(user_id)
        assert (stored.email, stored.role, stored.name) == ("new.person@example.com", Role.VIEWER, "Pat Doe")
        assert verify_password(stored.password_hash, STRONG) and stored.password_hash != STRONG
        cs = create_user("cs.person@example.com", STRONG, "cs")
        assert (cs.role, cs.name) == (Role.CS, "")  # no name given: none stored
        assert create_user("pm.person@example.com", STRONG, Role.PM).role == Role.PM


def test_a_new_user_is_refused_for_a_bad_role_a_duplicate_or_a_weak_password(app):
    with app.app_context():
        create_user("taken@example.com", STRONG)
        with pytest.raises(UserError) as bad_role:
            create_user("other@example.com", STRONG, "boss")
        assert str(bad_role.value) == "Unknown role 'boss'; choose one of admin, cs, pm, viewer."
        with pytest.raises(UserError) as duplicate:
            create_user("TAKEN@example.com", STRONG)
        assert str(duplicate.value) == "A user with email taken@example.com already exists."
        for email, name in (
            ("zebulonquixotic@example.com", ""),  # the address's own name
            ("someone@example.com", "Zebulonquixotic"),  # the person's name
        ):
            with pytest.raises(UserError, match="too easy to guess"):
                create_user(email, "zebulonquixotic", name=name)
        with pytest.raises(UserError, match="at least 10"):
            create_user("short@example.com", "kq8#Vz")
        assert create_user("fine@example.com", "zebulonquixotic", name="Pat").email == "fine@example.com"
        emails = set(db.session.execute(sa.select(User.email)).scalars())
        assert emails == {"taken@example.com", "fine@example.com"}


def test_a_session_id_names_the_user_and_the_session_version(app):
    with app.app_context():
        user = make_user()
        assert load_user(f"{user.id}:1") is user
        for wrong in (
            f"{user.id}:2",
            f"{user.id}:0",
            f"{user.id}:",
            f"{user.id}",
            "0:1",
            f"{user.id + 99}:1",
        ):
            assert load_user(wrong) is None, wrong
        for garbage in ("", ":", "x:1", f"{user.id}:x", f"{user.id}:-1", f"{user.id}:{2**31}"):
            assert load_user(garbage) is None, garbage
        user.session_version = 2**31 - 1
        db.session.commit()
        assert load_user(f"{user.id}:{2**31 - 1}") is user
        user.is_active_user = False
        db.session.commit()
        assert load_user(f"{user.id}:{2**31 - 1}") is None


def test_changing_a_password_checks_the_current_one_and_the_policy(app):
    with app.app_context():
        user = make_user(password=TEST_PASSWORD, name="Zebulonquixotic")
        old_hash = user.password_hash
        with pytest.raises(UserError, match=r"^Your current password is not right\.$"):
            change_password(user, WRONG, STRONG)
        with pytest.raises(UserError, match="too easy to guess"):
            change_password(user, TEST_PASSWORD, "zebulonquixotic")  # the user's own name
        with pytest.raises(UserError, match="too easy to guess"):
            change_password(user, TEST_PASSWORD, user.email.split("@")[0])
        db.session.rollback()
        assert _user(user.id).password_hash == old_hash and _user(user.id).session_version == 1
        change_password(user, TEST_PASSWORD, STRONG)
        db.session.rollback()
        stored = _user(user.id)
        assert verify_password(stored.password_hash, STRONG) and not verify_password(
            stored.password_hash, TEST_PASSWORD
        )
        assert stored.session_version == 2


def test_ending_sessions_moves_the_version_by_one_each_time(app):
    with app.app_context():
        user = make_user()
        end_all_sessions(user)
        assert _user(user.id).session_version == 2
        sign_out(user)
        assert _user(user.id).session_version == 3


def test_a_role_change_is_stored_audited_and_ends_old_sessions(app):
    with app.app_context():
        admin, user = make_user("admin"), make_user("viewer")
        set_role(admin, user, "pm")
        db.session.rollback()
        stored = _user(user.id)
        assert (stored.role, stored.session_version) == (Role.PM, 2)
        event = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "user.role")).scalar_one()
        assert (event.actor_id, event.target_id, event.details) == (
            admin.id,
            str(user.id),
            {"from": "viewer", "to": "pm"},
        )
        set_role(None, stored, Role.CS)  # from a command: no actor
        assert _audits(user.id)[-1] == ("user.role", None, None)


# --- signing in ------------------------------------------------------------------------------------


def test_a_sign_in_succeeds_case_insensitively_and_clears_this_addresses_failures(app):
    with app.app_context():
        user = make_user(password=TEST_PASSWORD)
        assert authenticate(user.email, WRONG, "192.0.2.1").error == GENERIC_FAILURE
        assert authenticate(user.email, WRONG, "192.0.2.2").error == GENERIC_FAILURE
        assert _user(user.id).failed_logins == 2
        before = utcnow()
        result = authenticate(f"  {user.email.upper()} ", TEST_PASSWORD, "192.0.2.1")
        assert result.user is not None and result.user.id == user.id and result.error is None
        stored = _user(user.id)
        assert (stored.failed_logins, stored.locked_until) == (0, None)
        assert _naive(stored.last_login_at) >= _naive(before)
        assert _throttles(user.id) == {"192.0.2.2": (1, None)}  # only the address that signed in
        assert _audits(user.id) == [
            ("login.failed", user.id, "192.0.2.1"),
            ("login.failed", user.id, "192.0.2.2"),
            ("login", user.id, "192.0.2.1"),
        ]


def test_unknown_and_inactive_users_get_the_generic_failure(app):
    with app.app_context():
        user = make_user(password=TEST_PASSWORD, is_active_user=False)
        assert authenticate(user.email, TEST_PASSWORD, "192.0.2.1") == authenticate(
            "nobody@example.com", TEST_PASSWORD, "192.0.2.1"
        )
        assert authenticate("nobody@example.com", TEST_PASSWORD).error == GENERIC_FAILURE
        assert _throttles(user.id) == {} and _audits(user.id) == []


def test_an_unknown_or_long_address_is_throttled_under_a_bounded_key(app):
    with app.app_context():
        user = make_user(password=TEST_PASSWORD)
        authenticate(user.email, WRONG, None)
        authenticate(user.email, WRONG, "f" * 60)
        assert _throttles(user.id) == {"unknown": (1, None), "f" * 45: (1, None)}


def test_one_address_gets_exactly_the_limit_then_is_locked_for_the_lock_time(app):
    limit, minutes = app.config["LOGIN_MAX_FAILURES"], app.config["LOGIN_LOCK_MINUTES"]
    ip = "198.51.100.9"
    start = utcnow().replace(microsecond=0)
    with app.app_context():
        user = make_user(password=TEST_PASSWORD)
        with time_machine.travel(start, tick=False):
            for _ in range(limit - 1):
                assert authenticate(user.email, WRONG, ip).error == GENERIC_FAILURE
            assert _throttles(user.id) == {ip: (limit - 1, None)}
            assert authenticate(user.email, WRONG, ip).error == GENERIC_FAILURE  # the last allowed try
            failures, until = _throttles(user.id)[ip]
            assert failures == limit and _naive(until) == _naive(start + timedelta(minutes=minutes))
            locked = authenticate(user.email, TEST_PASSWORD, ip)
            assert locked.user is None
            assert (
                locked.error
                == f"Too many failed sign-ins. This account is locked for up to {minutes} minutes."
            )
            assert _audits(user.id)[-1] == ("login.locked", user.id, ip)
            assert authenticate(user.email, TEST_PASSWORD, "192.0.2.50").user is not None  # elsewhere
        with time_machine.travel(start + timedelta(minutes=minutes, seconds=-1), tick=False):
            assert authenticate(user.email, TEST_PASSWORD, ip).user is None  # a second early
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert authenticate(user.email, WRONG, ip).error == GENERIC_FAILURE  # the count starts again
            assert _throttles(user.id)[ip] == (1, None)
            assert authenticate(user.email, TEST_PASSWORD, ip).user is not None


def test_the_whole_account_locks_at_its_own_limit_and_unlocks_after_the_lock_time(app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_ACCOUNT_MAX_FAILURES", 6)
    minutes = app.config["LOGIN_LOCK_MINUTES"]
    start = utcnow().replace(microsecond=0)
    with app.app_context():
        user = make_user(password=TEST_PASSWORD)
        with time_machine.travel(start, tick=False):
            for n in range(5):
                authenticate(user.email, WRONG, f"198.51.100.{n + 1}")
            assert (_user(user.id).failed_logins, _user(user.id).locked_until) == (5, None)
            authenticate(user.email, WRONG, "198.51.100.6")  # the sixth: the account locks
            stored = _user(user.id)
            assert stored.failed_logins == 6
            assert _naive(stored.locked_until) == _naive(start + timedelta(minutes=minutes))
            assert authenticate(user.email, TEST_PASSWORD, "192.0.2.77").user is None  # from anywhere
            assert _user(user.id).failed_logins == 6  # a refused attempt is not counted
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert authenticate(user.email, TEST_PASSWORD, "192.0.2.77").user is not None
            assert (_user(user.id).failed_logins, _user(user.id).locked_until) == (0, None)


def test_an_account_one_short_of_its_limit_is_not_locked(app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_ACCOUNT_MAX_FAILURES", 6)
    with app.app_context():
        user = make_user(password=TEST_PASSWORD)
        for n in range(5):
            authenticate(user.email, WRONG, f"198.51.100.{n + 1}")
        assert authenticate(user.email, TEST_PASSWORD, "192.0.2.77").user is not None


def test_unlocking_lifts_every_lock_of_that_user_only(app):
    with app.app_context():
        admin, user, other = make_user("admin"), make_user(password=TEST_PASSWORD), make_user()
        for ip in ("198.51.100.1", "198.51.100.2"):
            for _ in range(app.config["LOGIN_MAX_FAILURES"]):
                authenticate(user.email, WRONG, ip)
        authenticate(other.email, WRONG, "198.51.100.1")
        db.session.execute(
            sa.update(User).where(User.id == user.id).values(locked_until=utcnow() + timedelta(hours=1))
        )
        db.session.commit()
        unlock_user(admin, user)
        db.session.rollback()
        assert (_user(user.id).failed_logins, _user(user.id).locked_until) == (0, None)
        assert _throttles(user.id) == {} and _throttles(other.id) == {"198.51.100.1": (1, None)}
        assert _audits(user.id)[-1] == ("user.unlock", admin.id, None)
        assert authenticate(user.email, TEST_PASSWORD, "198.51.100.1").user is not None


def test_a_lock_is_not_extended_by_failures_of_another_address_or_another_account(app):
    limit, minutes = app.config["LOGIN_MAX_FAILURES"], app.config["LOGIN_LOCK_MINUTES"]
    start = utcnow().replace(microsecond=0)
    with app.app_context():
        locked, neighbour = make_user(password=TEST_PASSWORD), make_user(password=TEST_PASSWORD)
        with time_machine.travel(start, tick=False):
            for _ in range(limit):
                authenticate(locked.email, WRONG, "198.51.100.1")
        until = _naive(start + timedelta(minutes=minutes))
        assert _naive(_throttles(locked.id)["198.51.100.1"][1]) == until
        with time_machine.travel(start + timedelta(minutes=5), tick=False):
            authenticate(locked.email, WRONG, "198.51.100.2")  # the same account elsewhere
            authenticate(neighbour.email, WRONG, "198.51.100.1")  # another account from that address
        assert _naive(_throttles(locked.id)["198.51.100.1"][1]) == until
        assert _throttles(locked.id)["198.51.100.2"] == (1, None)
        assert _throttles(neighbour.id) == {"198.51.100.1": (1, None)}


def test_an_account_lock_is_not_extended_when_another_account_locks(app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_ACCOUNT_MAX_FAILURES", 2)
    minutes = app.config["LOGIN_LOCK_MINUTES"]
    start = utcnow().replace(microsecond=0)
    with app.app_context():
        first, second = make_user(password=TEST_PASSWORD), make_user(password=TEST_PASSWORD)
        with time_machine.travel(start, tick=False):
            authenticate(first.email, WRONG, "198.51.100.1")
            authenticate(first.email, WRONG, "198.51.100.2")
        until = _naive(start + timedelta(minutes=minutes))
        assert _naive(_user(first.id).locked_until) == until
        with time_machine.travel(start + timedelta(minutes=5), tick=False):
            authenticate(second.email, WRONG, "198.51.100.3")
            authenticate(second.email, WRONG, "198.51.100.4")
        assert _naive(_user(first.id).locked_until) == until
        assert _naive(_user(second.id).locked_until) == until + timedelta(minutes=5)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("///evil.example", "/"),  # browsers read three slashes as another host
        ("////evil.example/x", "/"),
        ("evil.example/x", "/"),  # not a site path: no leading slash
        ("accounts", "/"),
        ("/", "/"),
        ("/surveys/3/results?tab=nps", "/surveys/3/results?tab=nps"),
        ("/a//b", "/a//b"),  # a double slash later in the path is still this site
    ],
)
def test_next_keeps_only_paths_of_this_site(app, target, expected):
    from app.auth.routes import _safe_next

    with app.test_request_context():
        assert _safe_next(target) == expected


def test_an_expired_lock_is_reset_only_by_that_accounts_next_try_from_that_address(app):
    limit, minutes = app.config["LOGIN_MAX_FAILURES"], app.config["LOGIN_LOCK_MINUTES"]
    start = utcnow().replace(microsecond=0)
    with app.app_context():
        locked, other = make_user(password=TEST_PASSWORD), make_user(password=TEST_PASSWORD)
        with time_machine.travel(start, tick=False):
            for _ in range(limit):
                authenticate(locked.email, WRONG, "198.51.100.1")
        later = start + timedelta(minutes=minutes + 1)
        with time_machine.travel(later, tick=False):
            authenticate(other.email, WRONG, "198.51.100.1")
            authenticate(locked.email, WRONG, "198.51.100.2")
        failures, until = _throttles(locked.id)["198.51.100.1"]
        assert (failures, _naive(until)) == (limit, _naive(start + timedelta(minutes=minutes)))  # still shown


# Cases added after the mutation run of 2026-12-07 03:20 (new test functions: mutmut maps new names only).


def test_attempts_in_flight_at_once_from_one_address_never_exceed_its_limit(app):
    """Each attempt claims its slot before the password is checked (no lock is written yet while they are
    in flight): the limit's worth of concurrent attempts get a slot, the next one is refused."""
    from app.auth.services import _claim_ip_attempt

    limit = app.config["LOGIN_MAX_FAILURES"]
    with app.app_context():
        user = make_user(password=TEST_PASSWORD)
        assert [_claim_ip_attempt(user, "198.51.100.7") for _ in range(limit)] == [True] * limit
        assert _claim_ip_attempt(user, "198.51.100.7") is False
        assert _throttles(user.id) == {"198.51.100.7": (limit, None)}
        assert _claim_ip_attempt(user, "198.51.100.8") is True  # another address has its own slots


def test_a_locked_address_stays_locked_when_the_limit_is_raised_meanwhile(app, monkeypatch):
    limit, minutes = app.config["LOGIN_MAX_FAILURES"], app.config["LOGIN_LOCK_MINUTES"]
    start = utcnow().replace(microsecond=0)
    with app.app_context():
        user = make_user(password=TEST_PASSWORD)
        with time_machine.travel(start, tick=False):
            for _ in range(limit):
                authenticate(user.email, WRONG, "198.51.100.9")
            monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES", limit + 5)
            assert authenticate(user.email, TEST_PASSWORD, "198.51.100.9").user is None  # the lock holds
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert authenticate(user.email, TEST_PASSWORD, "198.51.100.9").user is not None


# Cases added after the auth mutation run of 2026-12-07 05:00 (survivors of _hasher, authenticate and
# _claim_attempt; each the account-wide twin of a per-address case above).


def test_configured_argon2_parameters_are_the_ones_used(app, monkeypatch):
    """A deployment (or the tests) may set ARGON2_PARAMS; the hash must carry exactly those costs."""
    monkeypatch.setitem(app.config, "ARGON2_PARAMS", {"time_cost": 2, "memory_cost": 16, "parallelism": 1})
    with app.app_context():
        stored = hash_password(STRONG)
        assert stored.startswith("$argon2id$v=19$m=16,t=2,p=1$")
        assert verify_password(stored, STRONG) is True


def test_a_sign_in_clears_only_its_own_accounts_failures_from_that_address(app):
    with app.app_context():
        signer, bystander = make_user(password=TEST_PASSWORD), make_user(password=TEST_PASSWORD)
        authenticate(bystander.email, WRONG, "198.51.100.20")
        authenticate(signer.email, WRONG, "198.51.100.20")
        assert authenticate(signer.email, TEST_PASSWORD, "198.51.100.20").user is not None
        assert _throttles(signer.id) == {}
        assert _throttles(bystander.id) == {"198.51.100.20": (1, None)}  # another account's count stays


def test_account_attempts_in_flight_at_once_never_exceed_the_account_limit(app, monkeypatch):
    from app.auth.services import _claim_attempt

    monkeypatch.setitem(app.config, "LOGIN_ACCOUNT_MAX_FAILURES", 4)
    with app.app_context():
        user, other = make_user(password=TEST_PASSWORD), make_user(password=TEST_PASSWORD)
        assert [_claim_attempt(user) for _ in range(4)] == [True] * 4
        assert _claim_attempt(user) is False
        assert _user(user.id).failed_logins == 4
        assert _claim_attempt(other) is True  # another account has its own count


def test_a_locked_account_stays_locked_when_its_limit_is_raised_meanwhile(app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_ACCOUNT_MAX_FAILURES", 3)
    minutes = app.config["LOGIN_LOCK_MINUTES"]
    start = utcnow().replace(microsecond=0)
    with app.app_context():
        user = make_user(password=TEST_PASSWORD)
        with time_machine.travel(start, tick=False):
            for n in range(3):
                authenticate(user.email, WRONG, f"198.51.100.{30 + n}")
            monkeypatch.setitem(app.config, "LOGIN_ACCOUNT_MAX_FAILURES", 10)
            assert authenticate(user.email, TEST_PASSWORD, "192.0.2.99").user is None  # the lock holds
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert authenticate(user.email, TEST_PASSWORD, "192.0.2.99").user is not None


def test_an_expired_account_lock_restarts_the_count_at_the_next_try_of_that_account_only(app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_ACCOUNT_MAX_FAILURES", 3)
    minutes = app.config["LOGIN_LOCK_MINUTES"]
    start = utcnow().replace(microsecond=0)
    with app.app_context():
        locked, other = make_user(password=TEST_PASSWORD), make_user(password=TEST_PASSWORD)
        with time_machine.travel(start, tick=False):
            for n in range(3):
                authenticate(locked.email, WRONG, f"198.51.100.{40 + n}")
        with time_machine.travel(start + timedelta(minutes=minutes + 1), tick=False):
            authenticate(other.email, WRONG, "198.51.100.50")
            stored = _user(locked.id)  # another account's try leaves this expired lock as it was
            assert (stored.failed_logins, _naive(stored.locked_until)) == (
                3,
                _naive(start + timedelta(minutes=minutes)),
            )
            authenticate(locked.email, WRONG, "198.51.100.51")  # its own next try: a fresh count of one
            stored = _user(locked.id)
            assert (stored.failed_logins, stored.locked_until) == (1, None)
