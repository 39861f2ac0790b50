"""Stored times come from the database's clock, whichever host writes them.

This process plays a host whose clock is a day off (every module's utcnow and time.time are
shifted, as tests/test_one_clock.py does for claims); the rows it writes through the real
paths (a worker's text, routing's offer, a case closed, a login, a campaign recipient's
transition) still carry the database's time, on SQLite and on PostgreSQL."""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select, text

import models.base
from hotline.infra.clock import database_now, db_now
from hotline.infra.db import get_db
from hotline.routing import route_case
from models import (
    Case,
    CaseEvent,
    CaseStatus,
    Contact,
    LoginAttempt,
    Message,
    Offer,
    Recipient,
    RecipientStatus,
    User,
)
from tests.conftest import sms_form, web_login
from tests.test_campaign_send import add_contacts
from tests.test_one_clock import started_campaign
from tests.test_routing_support import AMOUNT, add_case, add_volunteer

SKEW = timedelta(days=1)
# Far below SKEW, far above a slow shared machine's pause between a write and the check.
CLOSE = timedelta(minutes=5)
BEHIND = -timedelta(hours=1)  # a web host's clock, within the cookie's 2-hour idle limit


@pytest.fixture
def skewed_host(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[timedelta], None]]:
    """Shift this process's own clock (every module's utcnow, and time.time) by `skew`; the
    database's clock is untouched."""
    real_utcnow, real_time = models.base.utcnow, time.time
    fakes: list[Callable[[], datetime]] = []

    def skew_by(skew: timedelta) -> None:
        fake = lambda: real_utcnow() + skew  # noqa: E731
        for module in list(sys.modules.values()):
            if getattr(module, "utcnow", None) in (real_utcnow, *fakes):
                monkeypatch.setattr(module, "utcnow", fake)
        fakes.append(fake)
        monkeypatch.setattr(time, "time", lambda: real_time() + skew.total_seconds())

    yield skew_by


def assert_database_time(stamp: datetime | None, what: str, skew: timedelta = SKEW) -> None:
    """`stamp` is the database's present (within CLOSE), not the host's, `skew` off."""
    assert stamp is not None, what
    now = database_now()
    assert stamp.tzinfo is not None, what
    assert abs(stamp - now) < CLOSE, f"{what}: {stamp} vs database {now}"
    assert abs(stamp - models.base.utcnow()) > abs(skew) - CLOSE, f"{what}: host clock used"


def test_the_skew_is_real(app: Flask, skewed_host: Callable[[timedelta], None]) -> None:
    """The host clock the other tests distrust is really a day off; the database's is not."""
    skewed_host(SKEW)
    from hotline import intake

    assert abs(intake.utcnow() - database_now() - SKEW) < CLOSE
    assert abs(time.time() - database_now().timestamp() - SKEW.total_seconds()) < 300


def test_a_workers_text_is_stored_with_the_database_time(
        app: Flask, post_signed: Callable[..., object],
        skewed_host: Callable[[timedelta], None]) -> None:
    skewed_host(SKEW)
    post_signed("/twilio/sms", sms_form("+8613812340001", "老板拖欠我三个月工资，一共一万二"))
    with get_db().begin() as s:
        case = s.scalars(select(Case)).one()
        message = s.scalars(select(Message)).first()
        contact = s.scalars(select(Contact)).one()
        events = s.scalars(select(CaseEvent)).all()
    assert_database_time(case.created_at, "case.created_at")
    assert_database_time(case.updated_at, "case.updated_at")
    assert message is not None
    assert_database_time(message.created_at, "message.created_at")
    assert_database_time(contact.created_at, "contact.created_at")
    assert events
    for event in events:
        assert_database_time(event.at, f"event {event.kind}")


def test_an_offer_and_a_closed_case_carry_the_database_time(
        app: Flask, skewed_host: Callable[[timedelta], None]) -> None:
    add_volunteer(skills=["wages"])
    case_id, _number = add_case("+8613812340002", amount_owed=AMOUNT)
    skewed_host(SKEW)
    route_case.run(case_id)
    with get_db().begin() as s:
        offer = s.scalars(select(Offer)).one()
    assert_database_time(offer.created_at, "offer.created_at")
    assert offer.expires_at is not None
    assert_database_time(offer.expires_at - timedelta(
        minutes=app.config["OFFER_TIMEOUT_MINUTES"]), "offer.expires_at")
    with get_db().begin() as s:
        case = s.get_one(Case, case_id)
        before = case.updated_at
        case.move_to(CaseStatus.CLOSED, note="test")
    assert_database_time(case.closed_at, "case.closed_at")
    assert_database_time(case.updated_at, "case.updated_at after an update")
    assert case.updated_at >= before


def test_a_recipient_transition_is_stamped_by_the_database(
        app: Flask, skewed_host: Callable[[timedelta], None]) -> None:
    cid = started_campaign(2)
    skewed_host(-SKEW)
    with get_db().begin() as s:
        s.execute(Recipient.transition(RecipientStatus.FAILED, Recipient.campaign_id == cid,
                                       error_message="test"))
    with get_db().begin() as s:
        stamps = s.scalars(select(Recipient.updated_at).where(
            Recipient.status == RecipientStatus.FAILED)).all()
    assert len(stamps) == 2
    for stamp in stamps:
        assert_database_time(stamp, "recipient.updated_at")


def test_a_login_and_its_cap_use_the_database_time(
        app: Flask, web_world: object, skewed_host: Callable[[timedelta], None]) -> None:
    """A web host an hour behind logs a user in; the next request, on a host whose clock is
    right, finds the login young (capped at 30 minutes here): both asked the database. (The
    cookie's idle limit, 2 hours, is Flask's signature age on each host's clock: NTP's
    business, as for log times.)"""
    app.config["SESSION_MAX_HOURS"] = 0.5
    client = app.test_client()
    skewed_host(BEHIND)
    assert web_login(client, "staff_a").status_code == 302
    with get_db().begin() as s:
        attempt = s.scalars(select(LoginAttempt)).one()
        user = s.scalars(select(User).where(User.username == "staff_a")).one()
    assert_database_time(attempt.at, "login_attempts.at", BEHIND)
    assert_database_time(user.last_login_at, "users.last_login_at", BEHIND)
    with client.session_transaction() as sess:
        from hotline.web.auth import LOGIN_AT

        began = sess[LOGIN_AT]
    assert abs(began - database_now().timestamp()) < CLOSE.total_seconds()
    skewed_host(timedelta(0))
    page = client.get("/staff/")
    assert page.status_code == 200, page.status_code


def test_database_time_is_the_statements_not_the_transactions(app: Flask) -> None:
    """PostgreSQL's now() would stamp a row with its transaction's start; rows written later
    in one transaction carry later times (statement_timestamp), and so does db_now."""
    with get_db().begin() as s:
        first = db_now(s)
        time.sleep(0.05)
        contact = Contact(phone="+8613812340003")
        s.add(contact)
        s.flush()
        time.sleep(0.05)
        later = db_now(s)
    assert first < contact.created_at < later


def test_sqlite_keeps_sub_second_times_in_the_stored_form(
        app: Flask, skewed_host: Callable[[timedelta], None]) -> None:
    """SQLite stores the database's time as the driver stores Python's: six fraction digits
    (milliseconds from SQLite), so stored texts compare in time order with bound values."""
    if not get_db().is_sqlite:
        pytest.skip("SQLite's text form only")
    skewed_host(SKEW)
    add_contacts(5)
    with get_db().begin() as s:
        raw = s.scalars(text("SELECT created_at FROM contacts ORDER BY id")).all()
        bound = s.scalar(select(Contact.id).where(Contact.created_at <= db_now(s))
                         .order_by(Contact.id.desc()).limit(1))
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}", r) for r in raw), raw
    assert raw == sorted(raw)
    assert any(not r.endswith(".000000") for r in raw), raw  # milliseconds are kept
    assert bound is not None


def test_a_time_set_in_code_is_kept_and_the_default_fills_the_rest(
        app: Flask, skewed_host: Callable[[timedelta], None]) -> None:
    """A time written on purpose (an import, a test) is kept: DbNow is only the default."""
    skewed_host(SKEW)
    chosen = datetime(2025, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    with get_db().begin() as s:
        s.add_all([Contact(phone="+8613812340004", created_at=chosen),
                   Contact(phone="+8613812340005")])
    with get_db().begin() as s:
        kept, filled = s.scalars(select(Contact.created_at).where(
            Contact.phone.in_(["+8613812340004", "+8613812340005"])).order_by(Contact.phone))
    assert kept == chosen
    assert_database_time(filled, "contacts.created_at default")


def test_utcnow_follows_the_database_clock_once_read(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Code that computes a time in Python (utcnow) gets the database's clock too, carried
    forward by this host's monotonic clock, once the process has read it: a wall clock a
    day off no longer shows (SQLite is this machine's own clock: nothing to follow)."""
    if get_db().is_sqlite:
        pytest.skip("SQLite's clock is the host's")

    wall = models.base.host_clock
    monkeypatch.setattr(models.base, "host_clock", lambda: wall() + SKEW)
    monkeypatch.setattr(models.base, "_db_clock", None)
    assert models.base.utcnow() - database_now() > SKEW - CLOSE  # before: the host's clock
    with get_db().begin() as s:
        read = db_now(s)
    time.sleep(0.05)
    carried = models.base.utcnow()
    assert timedelta(0) < carried - read < CLOSE
    assert abs(carried - database_now()) < CLOSE
    # A new process's first connection reads the clock before any code asks db_now.
    monkeypatch.setattr(models.base, "_db_clock", None)
    get_db().engine.dispose()
    with get_db().engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    assert abs(models.base.utcnow() - database_now()) < CLOSE


def test_a_new_reading_of_the_clock_never_puts_utcnow_back_a_little(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A reading of the database's clock is only as exact as its round trip: one that lands a
    few milliseconds before a time already given out holds utcnow still until the clock
    passes it (so a consent given, then withdrawn, is never stamped the other way round); a
    step back of a day is a wrong clock corrected, and is taken."""
    monkeypatch.setattr(models.base, "_db_clock", None)
    monkeypatch.setattr(models.base, "_last_now", None)
    given = models.base.utcnow()
    models.base.remember_database_time(given - timedelta(milliseconds=30), time.monotonic())
    withdrawn = models.base.utcnow()
    assert withdrawn >= given
    time.sleep(0.06)  # past the 30 ms: the new reading is followed again
    assert models.base.utcnow() - given > timedelta(milliseconds=20)
    models.base.remember_database_time(given - SKEW, time.monotonic())
    assert models.base.utcnow() - (given - SKEW) < CLOSE
