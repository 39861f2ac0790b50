"""Campaign counters (notifications.campaigns.counts) against a fresh GROUP BY of the
recipients: after a campaign with every outcome (accepted, delivered, failed, undelivered,
refused as opted out, a timeout reconciled, duplicate and late callbacks, callbacks racing each
other, a cancel), on SQLite and PostgreSQL; and the campaigns list reads them in a constant
number of statements whatever the number of campaigns."""
# ruff: noqa: F811  (pytest fixtures imported from a sibling module are parameters here)

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from flask import Flask
from sqlalchemy import create_engine, event, func, select, text, update
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from devtools.fake_twilio import FakeTwilio
from hotline.infra.db import get_db
from hotline.infra.migrate import alembic_config, upgrade
from models import (
    Campaign,
    CampaignStatus,
    Contact,
    Recipient,
    RecipientStatus,
    Role,
    User,
    utcnow,
)
from models.campaign import COUNT_SHARDS, CampaignCounts
from notifications.campaigns import control
from notifications.campaigns.audience import Audience, materialize
from notifications.campaigns.counts import move, totals
from notifications.campaigns.tasks import run_chunk, start
from tests.alibaba_support import fake_alibaba  # noqa: F401
from tests.conftest import ACCOUNT_SID, _web_password_hash, database_at, web_login
from tests.test_alibaba_provider import ali_app  # noqa: F401
from tests.test_alibaba_push import post, report_item
from tests.test_campaign_send import add_contacts, new_campaign, phone, recipients

R = RecipientStatus


def tally(campaign_id: int) -> dict[str, int]:
    """Recipients per status, counted afresh from the rows."""
    with get_db().begin() as s:
        found = dict(s.execute(select(Recipient.status, func.count())
                               .where(Recipient.campaign_id == campaign_id)
                               .group_by(Recipient.status)).all())
    return {str(st): int(found.get(st, 0)) for st in RecipientStatus}


def counters(campaign_id: int) -> dict[str, int]:
    """The campaign's counts, summed over its counter rows."""
    with get_db().begin() as s:
        found = totals(s, [campaign_id])
    assert campaign_id in found, "materialising writes the counter rows"
    return found[campaign_id]


def nonzero(counts: dict[str, int]) -> dict[str, int]:
    """Only the statuses that hold someone."""
    return {k: v for k, v in counts.items() if v}


def callback(status: str, sid: str, **extra: str) -> dict[str, str]:
    """A Twilio status callback form."""
    return {"MessageSid": sid, "SmsSid": sid, "MessageStatus": status, "SmsStatus": status,
            "AccountSid": ACCOUNT_SID, **extra}


@pytest.fixture(autouse=True)
def no_callbacks(fake_twilio: FakeTwilio) -> None:
    """PUBLIC_URL is not reachable from the fake; the test posts each callback itself."""
    fake_twilio.callbacks_enabled = False


def test_counters_equal_a_fresh_group_by_after_every_kind_of_outcome(
        app: Flask, fake_twilio: FakeTwilio, post_signed: Callable[..., Any]) -> None:
    app.config["CAMPAIGN_CHUNK_SIZE"] = 4
    ids = add_contacts(14)
    fake_twilio.fail_number(phone(1), 21610)  # refused at send: opted out at the carrier
    fake_twilio.fail_number(phone(2), 21211)  # refused at send: not a mobile number
    cid = new_campaign()
    control.request_start(cid)
    start.run(cid)
    assert nonzero(counters(cid)) == {"pending": 14}
    with get_db().begin() as s:  # opts out after the audience was written
        s.get(Contact, ids[0]).opt_out()  # type: ignore[union-attr]
    fake_twilio.fail_next(1, status=500)  # one send times out: UNKNOWN until reconciled
    while run_chunk(cid) is not None:
        pass
    assert counters(cid) == tally(cid)
    assert tally(cid)["unknown"] == 1
    app.config["CAMPAIGN_RECONCILE_AFTER_SECONDS"] = 0
    control.tick_now()  # not found at the provider: back to PENDING, then sent once
    app.config["CAMPAIGN_RECONCILE_AFTER_SECONDS"] = 120
    while run_chunk(cid) is not None:
        pass
    assert counters(cid) == tally(cid)

    rows = [r for r in recipients(cid) if r.status == R.ACCEPTED]
    assert len(rows) == 11
    sid = {i: r.provider_sid or "" for i, r in enumerate(rows)}
    plan = [  # per accepted row: its callbacks in arrival order (late and repeated ones too)
        ["sent", "delivered"], ["delivered", "delivered", "sent"], ["undelivered"],
        ["failed", "failed"], ["sent"], ["queued", "sent", "undelivered", "delivered"],
        ["delivered"], ["sent", "sent", "sent"],
    ]
    for i, statuses in enumerate(plan):
        for status in statuses:
            assert post_signed(f"/twilio/status/campaign?r={rows[i].id}",
                               callback(status, sid[i])).status_code == 204
    # The carrier's opt-out reported on a callback.
    post_signed(f"/twilio/status/campaign?r={rows[8].id}",
                callback("failed", sid[8], ErrorCode="21610"))
    # Two rows, each reported by several callbacks at once (a retry storm): one move each.
    racing = [(rows[9].id, sid[9], "delivered")] * 4 + [(rows[10].id, sid[10], "undelivered")] * 4
    errors: list[BaseException] = []

    def post_one(rid: int, s: str, status: str) -> None:
        try:
            assert post_signed(f"/twilio/status/campaign?r={rid}",
                               callback(status, s)).status_code == 204
        except BaseException as exc:  # reported below, on the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=post_one, args=args) for args in racing]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    final = tally(cid)
    assert counters(cid) == final
    assert nonzero(final) == {"delivered": 4, "undelivered": 3, "failed": 3, "sent": 2,
                              "opted_out": 2}
    assert sum(final.values()) == 14

    # A second campaign cancelled part way: what had not gone is counted as cancelled.
    other = new_campaign("第二次通知")
    control.request_start(other)
    start.run(other)
    assert run_chunk(other) is not None
    control.cancel(other)
    assert counters(other) == tally(other)
    # The three who opted out are left out; one chunk of four went (one a bad number).
    assert nonzero(tally(other)) == {"accepted": 3, "failed": 1, "cancelled": 7}
    with get_db().begin() as s:  # the list and dashboard read the counters
        campaigns = list(s.scalars(select(Campaign).where(Campaign.id.in_([cid, other]))))
        listed = {p["id"]: p["counts"] for p in control.progress_many(s, campaigns)}
    assert listed == {cid: final, other: tally(other)}


def test_lost_outcomes_fetched_later_are_counted_once(
        app: Flask, fake_twilio: FakeTwilio) -> None:
    add_contacts(3)
    fake_twilio.fail_number(phone(2), 30003)  # accepted, then undelivered at the carrier
    cid = new_campaign()
    control.request_start(cid)
    start.run(cid)
    while run_chunk(cid) is not None:
        pass
    assert fake_twilio.wait_for_callbacks()
    app.config["OUTCOME_REFRESH_SECONDS"] = 0.0
    assert control.tick_now()["refreshed"] == 3
    assert control.tick_now()["refreshed"] == 0
    assert counters(cid) == tally(cid)
    assert nonzero(counters(cid)) == {"delivered": 2, "undelivered": 1}


def test_alibaba_reports_move_the_counters_once(ali_app: Flask) -> None:
    client = ali_app.test_client()
    with get_db().begin() as s:
        s.add_all(Contact(phone=f"+861380013{i:04d}") for i in range(4))
        campaign = Campaign(name="法律咨询日", sender="+8610086000000",
                            status=CampaignStatus.SENDING, audience=Audience().as_dict())
        s.add(campaign)
        s.flush()
        materialize(s, campaign, "Asia/Shanghai")
        cid = campaign.id
        rids = list(s.scalars(select(Recipient.id).where(Recipient.campaign_id == cid)
                              .order_by(Recipient.id)))
    for i, rid in enumerate(rids[:3]):
        with get_db().begin() as s:
            move(s, R.SENDING, Recipient.id == rid)
            move(s, R.ACCEPTED, Recipient.id == rid, provider_sid=f"biz-{i}")
    pushes = [report_item("biz-0"), report_item("biz-0"),  # the same report twice
              report_item("biz-1", success=False, err_code="MOBILE_NOT_ON_SERVICE"),
              report_item("biz-1"),  # a late success after the failure: ignored
              report_item("biz-9")]  # nobody's
    for push in pushes:
        assert post(client, "report", [push]).status_code == 200
    assert counters(cid) == tally(cid)
    assert nonzero(tally(cid)) == {"delivered": 1, "failed": 1, "accepted": 1, "pending": 1}


@pytest.fixture(params=["sqlite", "postgresql"])
def db_at_0016(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database at 0016 (before the counters), on SQLite and PostgreSQL."""
    with database_at(request.param, "0016_console_at_size", tmp_path, "counts") as url:
        yield url


def test_migration_backfills_the_counters_from_the_rows(db_at_0016: str) -> None:
    engine = create_engine(db_at_0016)
    mix = ["delivered"] * 5 + ["failed"] * 2 + ["pending"] * 3 + ["opted_out"]
    with engine.begin() as conn:  # plain SQL: the columns an 0016 database has
        now = utcnow()
        contacts = [conn.execute(text(
            "INSERT INTO contacts (phone, language, created_at) VALUES (:p, 'zh', :now) "
            "RETURNING id"), {"p": f"+86138{i:08d}", "now": now}).scalar_one()
            for i in range(len(mix))]
        add_campaign = text(
            "INSERT INTO campaigns (name, kind, status, sender, footer, default_language, "
            "audience, rsvp_keywords, price_per_segment, quiet_start, quiet_end, "
            "reply_window_hours, timezones, created_by, created_at, materialized_at) VALUES "
            "(:name, 'broadcast', :status, '+8610000', true, 'zh', '{}', '[]', 0, '21:00', "
            "'08:00', 72, '[]', 'staff', :now, :done) RETURNING id")
        sent = conn.execute(add_campaign, {"name": "sent", "status": "done", "now": now,
                                           "done": now}).scalar_one()
        empty = conn.execute(add_campaign, {"name": "nobody", "status": "done", "now": now,
                                            "done": now}).scalar_one()
        draft = conn.execute(add_campaign, {"name": "draft", "status": "draft", "now": now,
                                            "done": None}).scalar_one()
        for contact, status in zip(contacts, mix, strict=True):
            conn.execute(text(
                "INSERT INTO campaign_recipients (campaign_id, contact_id, phone, language, "
                "timezone, status, attempts, updated_at) VALUES (:c, :contact, '+86', 'zh', "
                "'Asia/Shanghai', :status, 1, :now)"),
                {"c": sent, "contact": contact, "status": status, "now": now})
    upgrade(db_at_0016)
    with Session(engine) as s:
        rows = {cid: nonzero(counts) for cid, counts in totals(s, [sent, empty, draft]).items()}
        assert s.scalar(select(func.count()).select_from(CampaignCounts)) == 2 * COUNT_SHARDS
    assert rows == {sent: {"delivered": 5, "failed": 2, "pending": 3, "opted_out": 1},
                    empty: {}}  # a draft gets its row when its recipients are written
    assert draft not in rows
    command.downgrade(alembic_config(db_at_0016), "0016_console_at_size")
    engine.dispose()


@contextmanager
def statements(app: Flask) -> Iterator[list[str]]:
    """The statements the app's engine sends meanwhile."""
    seen: list[str] = []

    def keep(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        seen.append(statement)

    engine = get_db().engine
    event.listen(engine, "before_cursor_execute", keep)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", keep)


def list_page_statements(app: Flask) -> tuple[int, str]:
    """Statements of one request for the admin campaigns list, and its HTML."""
    client = app.test_client()
    web_login(client, "counts_admin")
    client.get("/staff/campaigns/")  # warm-up: the session and user are loaded alike after
    with statements(app) as seen:
        page = client.get("/staff/campaigns/")
    assert page.status_code == 200
    return len(seen), page.get_data(as_text=True)


def test_campaigns_list_reads_counters_in_constant_statements(app: Flask) -> None:
    with get_db().begin() as s:
        s.add(User(username="counts_admin", role=Role.ADMIN,
                   password_hash=_web_password_hash(generate_password_hash)))
    add_contacts(6)

    def materialised_campaigns(n: int) -> None:
        for _ in range(n):
            cid = new_campaign()
            with get_db().begin() as s:
                campaign = s.get(Campaign, cid)
                assert campaign is not None
                materialize(s, campaign, "Asia/Shanghai")
                move(s, R.CANCELLED, Recipient.campaign_id == cid)

    materialised_campaigns(1)
    one, _ = list_page_statements(app)
    materialised_campaigns(6)
    seven, html = list_page_statements(app)
    assert seven == one
    # Each row's bar shows its finished recipients (all 6 cancelled) out of 6.
    assert html.count('max="6" value="6"') == 7


def test_counts_survive_a_rolled_back_move(app: Flask) -> None:
    """Moves of a transaction that rolls back are not counted by a later one."""
    add_contacts(2)
    cid = new_campaign()
    with get_db().begin() as s:
        campaign = s.get(Campaign, cid)
        assert campaign is not None
        materialize(s, campaign, "Asia/Shanghai")
    with pytest.raises(RuntimeError), get_db().begin() as s:
        move(s, R.CANCELLED, Recipient.campaign_id == cid)
        raise RuntimeError("the request failed after the move")
    with get_db().begin() as s:
        s.execute(update(Campaign).where(Campaign.id == cid).values(name="改名"))
    assert counters(cid) == tally(cid) == {**{str(st): 0 for st in R}, "pending": 2}
