"""Shared helpers of the routing tests (volunteers, cases, SMS round trips); no tests here."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from hotline.infra.db import get_db
from models import (
    Case,
    CaseCategory,
    CaseEvent,
    CaseStatus,
    Contact,
    EventKind,
    Message,
    Offer,
    Purpose,
    Volunteer,
)
from tests.conftest import sms_form

# Far from the fixed numbers tests write by hand (+8613900000001, ...), whatever the test order.
_phones = itertools.count(5_000_000)


def add_volunteer(**fields: Any) -> int:
    """Insert an on-duty Mandarin volunteer (fields override); return its id."""
    values: dict[str, Any] = {"name": f"志愿者{next(_phones)}", "languages": ["zh"],
                              "on_duty": True, "capacity": 5}
    values.update(fields)
    values.setdefault("phone", f"+86139{next(_phones):08d}")
    with get_db().begin() as s:
        vol = Volunteer(**values)
        s.add(vol)
        s.flush()
        return vol.id


def add_case(phone: str | None = None, *, home: str | None = None,
             created_at: datetime | None = None, **fields: Any) -> tuple[int, int]:
    """Insert a NEW case for a (new) worker; return (case id, case number)."""
    with get_db().begin() as s:
        phone = phone or f"+86138{next(_phones):08d}"
        contact = s.scalar(select(Contact).where(Contact.phone == phone))
        if contact is None:
            contact = Contact(phone=phone, home_province=home)
            s.add(contact)
            s.flush()
        values: dict[str, Any] = {"category": CaseCategory.WAGES, "work_city": "深圳",
                                  "work_province": "广东"}
        values.update(fields)
        if created_at is not None:
            values["created_at"] = created_at
        case = Case(contact_id=contact.id, **values)
        s.add(case)
        s.flush()
        case.assign_number()
        assert case.number is not None
        return case.id, case.number


def volunteer_phone(volunteer_id: int) -> str:
    """The phone of a volunteer."""
    with get_db().begin() as s:
        vol = s.get(Volunteer, volunteer_id)
        assert vol is not None
        return vol.phone


def texts(post_signed: Callable[..., Any], phone: str, body: str) -> str:
    """Send a signed inbound SMS and return the hotline's reply text (parsed from TwiML)."""
    resp = post_signed("/twilio/sms", sms_form(phone, body))
    assert resp.status_code == 200, resp.data
    root = ET.fromstring(resp.data)
    return " / ".join(m.text or "" for m in root.findall("Message"))


def case_state(case_id: int) -> Case:
    """A detached copy of the case row."""
    with get_db().begin() as s:
        case = s.get(Case, case_id)
        assert case is not None
        return case


def offers_of(case_id: int) -> list[Offer]:
    """The case's offers, oldest first."""
    with get_db().begin() as s:
        return list(s.scalars(select(Offer).where(Offer.case_id == case_id).order_by(Offer.id)))


def outbound(purpose: Purpose | None = None, to: str | None = None) -> list[Message]:
    """Outbound messages written so far (optionally one purpose / recipient)."""
    with get_db().begin() as s:
        query = select(Message).where(Message.direction == "out").order_by(Message.id)
        if purpose is not None:
            query = query.where(Message.purpose == purpose)
        if to is not None:
            query = query.where(Message.to_number == to)
        return list(s.scalars(query))


def events(case_id: int, kind: EventKind | None = None) -> list[CaseEvent]:
    """The case timeline (optionally one kind)."""
    with get_db().begin() as s:
        query = select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
        if kind is not None:
            query = query.where(CaseEvent.kind == kind)
        return list(s.scalars(query))


def set_case(case_id: int, **fields: Any) -> None:
    """Update columns of a case directly (test setup)."""
    with get_db().begin() as s:
        case = s.get(Case, case_id)
        assert case is not None
        for key, value in fields.items():
            setattr(case, key, value)


def statuses(case_id: int) -> CaseStatus:
    """The case's status now."""
    return case_state(case_id).status


AMOUNT = Decimal("12000")
