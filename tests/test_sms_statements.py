"""How many SQL statements one inbound-SMS webhook costs, per path, on both databases.

The webhook is the hotline's hottest path: each statement is a round trip and ORM work in the
web worker. The bounds below are what the code reaches today; a change that adds a statement
to one of these paths fails here and must either earn it or find another way."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from flask import Flask
from sqlalchemy import select

from hotline.infra.db import get_db
from models import (
    Case,
    CaseStatus,
    Contact,
    Direction,
    FlowSession,
    Message,
    MessageStatus,
    Purpose,
    WebhookReceipt,
)
from tests.conftest import sms_form, statements
from tests.test_relay_bridge import WORKER, assigned_case

NEW_WORKER = "+8613700000001"
# Upper bounds per path and database: what the webhook needs today, each delivery carrying
# Twilio's idempotency token (its receipt is one INSERT; a fresh token spares the lookup by
# MessageSid, which the unique SID backs up). A saved case's timeline entries are one INSERT
# (on SQLite they were one each: 17 / 14 / 14 / 13 before), and a new worker's INSERT carries
# their consent and last contact (an UPDATE after it before). A known worker is found, locked
# and marked as heard from by one UPDATE … RETURNING (a volunteer SELECT, the contact's SELECT
# and its UPDATE before: 12 / 12 on SQLite), and their open case comes with their SMS flow
# session in one SELECT. The worker's text and its forward to the volunteer are one INSERT on
# PostgreSQL (SQLite's RETURNING cannot keep the rows' order, so SQLAlchemy writes them one by
# one). SQLite counts its BEGIN IMMEDIATE (the write lock taken up front); PostgreSQL's BEGIN is
# not a cursor statement.
BOUNDS = {
    "sqlite": {"first_text": 11, "mid_intake": 9, "assigned_case": 10, "volunteer_relay": 11,
               "thanks_nothing_open": 8},
    "postgresql": {"first_text": 10, "mid_intake": 8, "assigned_case": 8,
                   "volunteer_relay": 10, "thanks_nothing_open": 7},
}


def counted(app: Flask, post_signed: Any, phone: str, body: str) -> tuple[int, str]:
    """(statements, reply) of one signed inbound SMS; the statements are printed, which
    pytest shows when a bound fails."""
    form = sms_form(phone, body)
    with statements(app) as seen:
        # As Twilio sends it: the retry key is written too (the webhook receipt).
        resp = post_signed("/twilio/sms", form,
                           headers={"I-Twilio-Idempotency-Token": form["MessageSid"]})
    assert resp.status_code == 200, resp.data
    reply = " / ".join(m.text or "" for m in ET.fromstring(resp.data).findall("Message"))
    print(f"--- {len(seen)} statements for {body!r}")
    for sql in seen:
        print("   ", " ".join(sql.split())[:160])
    return len(seen), reply


def test_statements_per_webhook_path(app: Flask, post_signed: Any) -> None:
    counts: dict[str, int] = {}
    counts["first_text"], reply = counted(app, post_signed, NEW_WORKER,
                                          "老板拖欠我三个月工资，一共八千块")
    assert "案件" in reply or "编号" in reply, reply
    with get_db().begin() as s:
        case = s.scalar(select(Case).join(Contact).where(Contact.phone == NEW_WORKER))
        assert case is not None and case.status == CaseStatus.NEW
        assert s.scalar(select(FlowSession).where(FlowSession.case_id == case.id)) is not None
    counts["mid_intake"], _ = counted(app, post_signed, NEW_WORKER, "广东深圳")

    case_id, number, _vid, vphone = assigned_case()
    counts["assigned_case"], _ = counted(app, post_signed, WORKER, "老板今天又不接电话了")
    counts["volunteer_relay"], reply = counted(app, post_signed, vphone,
                                               f"R{number} 明天上午十点给您打电话")
    assert "已转告" in reply
    counts["thanks_nothing_open"], reply = counted(app, post_signed, "+8613700000099", "谢谢")
    assert reply
    with get_db().begin() as s:
        forwards = s.scalars(select(Message).where(Message.case_id == case_id,
                                                   Message.purpose == Purpose.RELAY)).all()
        assert len(forwards) == 2  # the worker's text forwarded, the volunteer's relayed
    print(counts)
    bounds = BOUNDS[app.extensions["db"].engine.dialect.name]
    over = {path: n for path, n in counts.items() if n > bounds[path]}
    assert not over, f"more statements than {bounds}: {over}"


def test_status_callback_is_one_receipt_and_one_update(app: Flask, post_signed: Any) -> None:
    """A delivery report on a known message: the receipt and the conditional UPDATE, on a bare
    connection (one statement in autocommit on PostgreSQL); its retry writes nothing; a report
    that would move the status backwards and one for an unknown SID change nothing and still
    answer 204."""
    with get_db().begin() as s:
        msg = Message(direction=Direction.OUTBOUND, purpose=Purpose.OFFER,
                      status=MessageStatus.ACCEPTED, provider_sid="SMstatus" + "0" * 26,
                      from_number="+8610086000000", to_number="+8613900000001", body="新案件")
        s.add(msg)
    sid = msg.provider_sid or ""

    def report(status: str, token: str, message_sid: str = sid) -> list[str]:
        form = {"MessageSid": message_sid, "SmsSid": message_sid, "MessageStatus": status,
                "AccountSid": "AC" + "b" * 32, "To": "+8613900000001",
                "From": "+8610086000000", "ApiVersion": "2010-04-01"}
        with statements(app) as seen:
            resp = post_signed(f"/twilio/status?m={msg.id}", form,
                               headers={"I-Twilio-Idempotency-Token": token})
        assert resp.status_code == 204, resp.data
        return seen

    def status() -> MessageStatus:
        with get_db().begin() as s:
            found = s.get(Message, msg.id)
            assert found is not None
            return found.status

    sqlite = app.extensions["db"].engine.dialect.name == "sqlite"
    seen = report("delivered", "tok-delivered")
    # SQLite: BEGIN IMMEDIATE, the receipt, the UPDATE. PostgreSQL: both in one statement.
    assert len(seen) == (3 if sqlite else 1), seen
    assert status() == MessageStatus.DELIVERED
    report("delivered", "tok-delivered")  # Twilio's retry of the same delivery
    report("sent", "tok-sent-late")  # arrives after "delivered": never moves back
    assert status() == MessageStatus.DELIVERED
    report("delivered", "tok-unknown", message_sid="SMunknown" + "0" * 25)
    with get_db().begin() as s:
        receipts = s.scalars(select(WebhookReceipt.token)).all()
    assert sorted(receipts) == ["tok-delivered", "tok-sent-late", "tok-unknown"]
