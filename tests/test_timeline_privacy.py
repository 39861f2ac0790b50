"""No full phone number reaches the case timeline, which volunteers read."""

from __future__ import annotations

from flask import Flask

from devtools.fake_twilio import FakeTwilio
from hotline.infra.db import get_db
from hotline.phones import mask_numbers_in
from models import Direction, EventKind, Message, MessageStatus, Purpose
from notifications.send import deliver
from tests.conftest import HOTLINE_NUMBER, WebWorld
from tests.test_routing_support import add_case, events
from tests.test_web_forms import logged_in

WORKER = "+8613800138000"


def test_mask_numbers_in_text() -> None:
    assert mask_numbers_in("sent to +8613800138000 (1 segment(s), SMx)") == (
        "sent to +86 138****8000 (1 segment(s), SMx)")
    assert mask_numbers_in("Invalid 'To' Phone Number: +8613900000002") == (
        "Invalid 'To' Phone Number: +86 139****0002")
    assert mask_numbers_in("case #1024, ¥12000") == "case #1024, ¥12000"


def relay(case_id: int, to: str) -> int:
    """Queue a relay SMS on the case; return its id."""
    with get_db().begin() as s:
        msg = Message(direction=Direction.OUTBOUND, purpose=Purpose.RELAY,
                      status=MessageStatus.QUEUED, from_number=HOTLINE_NUMBER, to_number=to,
                      body="明天上午十点给您打电话", case_id=case_id)
        s.add(msg)
        s.flush()
        return msg.id


def test_sent_and_failed_notes_mask_the_number(app: Flask, fake_twilio: FakeTwilio) -> None:
    case_id, _ = add_case(WORKER)
    deliver(relay(case_id, WORKER))
    fake_twilio.fail_number("+8613900000002", 21211)
    deliver(relay(case_id, "+8613900000002"))
    texts = [e.text for e in events(case_id, EventKind.MESSAGE_OUT)]
    assert any(t.startswith("sent to +86 138****8000") for t in texts), texts
    assert any("send failed" in t for t in texts), texts
    assert not any(n in t for t in texts for n in (WORKER, "+8613900000002")), texts


def test_old_send_notes_are_masked_when_shown(app: Flask, web_world: WebWorld) -> None:
    """Rows written before the mask moved to the source still show no full number."""
    from sqlalchemy import select

    from models import Case, CaseEvent

    with get_db().begin() as s:
        case = s.scalars(select(Case).where(Case.number == web_world.assigned_to_a)).one()
        s.add(CaseEvent(case_id=case.id, kind=EventKind.MESSAGE_OUT,
                        text=f"sent to {WORKER} (1 segment(s), SMold)", data={"purpose": "relay"}))
    for username, url in (("vol_a", f"/inbox/cases/{web_world.assigned_to_a}"),
                          ("staff_a", f"/staff/cases/{web_world.assigned_to_a}")):
        for lang in ("en", "zh"):
            html = logged_in(app, username)[0].get(f"{url}?lang={lang}").get_data(as_text=True)
            assert WORKER not in html and "138****8000" in html, (username, lang)


def test_a_volunteer_does_not_see_who_else_was_offered_the_case(
        app: Flask, web_world: WebWorld) -> None:
    """Routing (other volunteers' names and scores, the offer texts sent to their phones) is on
    the staff page only; the volunteer still sees an urgency flag and texts to the worker."""
    from sqlalchemy import select

    from models import Case, CaseEvent

    with get_db().begin() as s:
        case = s.scalars(select(Case).where(Case.number == web_world.assigned_to_a)).one()
        offer_sms = Message(direction=Direction.OUTBOUND, purpose=Purpose.OFFER,
                            status=MessageStatus.SENT, from_number=HOTLINE_NUMBER,
                            to_number="+8613900000002", body="新案件", case_id=case.id,
                            volunteer_id=web_world.vol_b)
        to_worker = Message(direction=Direction.OUTBOUND, purpose=Purpose.RELAY,
                            status=MessageStatus.SENT, from_number=HOTLINE_NUMBER,
                            to_number=web_world.worker_phone, body="明天打给您", case_id=case.id)
        s.add_all([offer_sms, to_worker])
        s.flush()
        s.add_all([
            CaseEvent(case_id=case.id, kind=EventKind.ROUTING,
                      text="round 1: offered to 2 of 3 eligible", data={"round": 1}),
            CaseEvent(case_id=case.id, kind=EventKind.OFFER,
                      text=f"offered to 王社工 (#{web_world.vol_b}), score 110.0",
                      data={"total": 110.0, "parts": {"skill": 50}}),
            CaseEvent(case_id=case.id, kind=EventKind.MESSAGE_OUT, message_id=offer_sms.id,
                      text="sent to +86 139****0002 (1 segment(s), SMx)"),
            CaseEvent(case_id=case.id, kind=EventKind.OFFER_ANSWER, text="declined by 王社工"),
            CaseEvent(case_id=case.id, kind=EventKind.ROUTING, text="urgent: injured",
                      data={"urgent": True}),
            CaseEvent(case_id=case.id, kind=EventKind.MESSAGE_OUT, message_id=to_worker.id,
                      text="sent to +86 138****8000 (1 segment(s), SMy)"),
        ])
    url = f"/inbox/cases/{web_world.assigned_to_a}?lang=en"
    volunteer = logged_in(app, "vol_a")[0].get(url).get_data(as_text=True)
    staff = logged_in(app, "staff_a")[0].get(
        f"/staff/cases/{web_world.assigned_to_a}?lang=en").get_data(as_text=True)
    for routing in ("王社工", "score 110", "offered to 2 of 3", "139****0002"):
        assert routing in staff, routing
        assert routing not in volunteer, routing
    for shown in ("urgent", "138****8000"):
        assert shown in volunteer and shown in staff, shown
