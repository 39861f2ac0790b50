"""Merging a duplicate case from the staff case page: history moves, the duplicate closes."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from hotline.infra.db import get_db
from models import (
    Case,
    CaseEvent,
    CaseStatus,
    Contact,
    Direction,
    EventKind,
    Message,
    MessageStatus,
)
from tests.conftest import WebWorld
from tests.test_web_forms import case_of, logged_in


def add_message(number: int, body: str) -> int:
    """An inbound SMS on a case, with its timeline entry; returns the message id."""
    with get_db().begin() as session:
        case = session.scalar(select(Case).where(Case.number == number))
        assert case is not None
        msg = Message(direction=Direction.INBOUND, status=MessageStatus.RECEIVED,
                      from_number="+8613812348000", to_number="+8610000000000", body=body,
                      contact_id=case.contact_id, case_id=case.id)
        session.add(msg)
        session.flush()
        case.log(EventKind.MESSAGE_IN, body, message_id=msg.id)
        return msg.id


def test_merge_moves_history_and_closes_duplicate(app: Flask, web_world: WebWorld) -> None:
    dup, keep = web_world.declined_by_a, web_world.assigned_to_a
    msg_id = add_message(dup, "老板还是不给钱")
    client, token = logged_in(app, "staff_a")
    resp = client.post(f"/staff/cases/{dup}/merge", data={"into": str(keep),
                                                          "csrf_token": token})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/cases/{keep}")
    assert case_of(dup).status == CaseStatus.CLOSED
    survivor_id, dup_id = case_of(keep).id, case_of(dup).id
    with get_db().begin() as session:
        assert session.get(Message, msg_id).case_id == survivor_id  # type: ignore[union-attr]
        texts = [e.text for e in session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == survivor_id))]
        dup_texts = [e.text for e in session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == dup_id))]
    assert "老板还是不给钱" in texts
    assert any(f"case #{dup} merged into this case" in t for t in texts)
    assert any(f"merged into #{keep}" in t for t in dup_texts)
    page = client.get(f"/staff/cases/{keep}?lang=en").get_data(as_text=True)
    assert "老板还是不给钱" in page


def test_merge_refusals_change_nothing(app: Flask, web_world: WebWorld) -> None:
    client, token = logged_in(app, "staff_a")
    case = web_world.assigned_to_a
    with get_db().begin() as session:  # a case of another worker, same organisation
        other = Contact(phone="+8613812349999")
        session.add(other)
        session.flush()
        stranger = Case(contact_id=other.id, organisation_id=web_world.org_a)
        session.add(stranger)
        session.flush()
        stranger.assign_number()
        stranger_number = stranger.number
    for into, reason in [(case, "into itself"), (stranger_number, "different workers"),
                         (web_world.org_b_case, "no case #"), ("abc", "no case #")]:
        resp = client.post(f"/staff/cases/{case}/merge?lang=en",
                           data={"into": str(into), "csrf_token": token})
        assert resp.status_code == 400
        assert reason in resp.get_data(as_text=True)
    assert case_of(case).status == CaseStatus.ASSIGNED


def test_merge_within_one_collective_dispute(app: Flask, web_world: WebWorld) -> None:
    with get_db().begin() as session:
        other = Contact(phone="+8613812340001")
        session.add(other)
        session.flush()
        collective = session.scalar(select(Case).where(Case.number == web_world.offered_to_b))
        member = Case(contact_id=other.id, organisation_id=web_world.org_a,
                      collective_case_id=collective.id)  # type: ignore[union-attr]
        session.add(member)
        session.flush()
        member.assign_number()
        number = member.number
    client, token = logged_in(app, "staff_a")
    resp = client.post(f"/staff/cases/{number}/merge",
                       data={"into": str(web_world.offered_to_b), "csrf_token": token})
    assert resp.status_code == 302
    assert case_of(int(number or 0)).status == CaseStatus.CLOSED


def test_merge_needs_csrf_and_staff(app: Flask, web_world: WebWorld) -> None:
    dup, keep = web_world.declined_by_a, web_world.assigned_to_a
    client, _ = logged_in(app, "staff_a")
    assert client.post(f"/staff/cases/{dup}/merge", data={"into": str(keep)}).status_code == 400
    vol, token = logged_in(app, "vol_a")
    assert vol.post(f"/staff/cases/{dup}/merge",
                    data={"into": str(keep), "csrf_token": token}).status_code in (403, 404)
    other_org, token = logged_in(app, "staff_b")
    assert other_org.post(f"/staff/cases/{dup}/merge",
                          data={"into": str(keep), "csrf_token": token}).status_code == 404
    assert case_of(dup).status == CaseStatus.NEW
