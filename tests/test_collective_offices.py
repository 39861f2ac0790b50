"""Collective disputes across offices: cases of two offices naming one employer are linked and
both offices' staff are texted, but each office's cases stay with its own volunteers, and a
volunteer's relay never reaches another office's worker. On SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from hotline.collective import check_collective
from hotline.infra.db import get_db
from hotline.routing import route_case
from models import Case, CaseCategory, CaseStatus, Organisation, Purpose
from models.base import utcnow
from tests.test_routing_support import (
    add_case,
    add_volunteer,
    case_state,
    offers_of,
    outbound,
    texts,
    volunteer_phone,
)

STAFF_A = "+8613700000011"
STAFF_B = "+8613700000022"
WORKER_A1, WORKER_A2, WORKER_B1, WORKER_B2 = (
    "+8613800000101", "+8613800000102", "+8613800000201", "+8613800000202")
# The same employer as each worker writes it.
NAMES = ["深圳市宏达电子有限公司", "深圳宏达电子厂", "【深圳宏达电子】", "深圳宏達電子廠"]


def add_office(name: str, staff: str) -> int:
    """An office whose on-duty staff number is `staff`."""
    with get_db().begin() as s:
        org = Organisation(name=name, staff_numbers=[staff])
        s.add(org)
        s.flush()
        return org.id


def detect(case_id: int) -> Case | None:
    """Run collective detection for one case, as routing does."""
    with get_db().begin() as s:
        case = s.get(Case, case_id)
        assert case is not None
        return check_collective(s, case, utcnow())


def alerts_to(number: str) -> list[str]:
    """Bodies of the staff alerts texted to `number`."""
    return [m.body for m in outbound(Purpose.ALERT, to=number)]


@pytest.fixture
def offices(app: Flask) -> dict[str, Any]:
    """Office A (two workers, two volunteers) and office B (two volunteers), no cases yet."""
    app.config.update(STAFF_NUMBERS=[], URGENT_FANOUT=1, COLLECTIVE_MIN_WORKERS=3)
    a, b = add_office("深圳工友中心", STAFF_A), add_office("固始县服务站", STAFF_B)
    return {"a": a, "b": b,
            "vol_a": add_volunteer(organisation_id=a, skills=["collective", "wages"]),
            "vol_a2": add_volunteer(organisation_id=a),
            "vol_b": add_volunteer(organisation_id=b, dialects=["henan"]),
            "vol_b2": add_volunteer(organisation_id=b)}


def form_across_offices(o: dict[str, Any]) -> tuple[int, int, int]:
    """Two office-A workers then one office-B worker name the employer: (lead, a2, b1)."""
    lead, _ = add_case(WORKER_A1, employer=NAMES[0], organisation_id=o["a"])
    assert detect(lead) is None
    a2, _ = add_case(WORKER_A2, employer=NAMES[1], organisation_id=o["a"])
    assert detect(a2) is None  # two workers are not yet a collective dispute
    b1, _ = add_case(WORKER_B1, employer=NAMES[2], organisation_id=o["b"], dialect="henan")
    found = detect(b1)
    assert found is not None and found.id == lead
    return lead, a2, b1


def test_link_across_offices_alerts_both_offices_staff(offices: dict[str, Any]) -> None:
    lead, a2, b1 = form_across_offices(offices)
    state = case_state(lead)
    assert (state.category, state.people_affected, state.organisation_id) == (
        CaseCategory.COLLECTIVE, 3, offices["a"])
    assert case_state(a2).collective_case_id == lead
    b_case = case_state(b1)
    assert (b_case.collective_case_id, b_case.organisation_id) == (lead, offices["b"])
    [to_a] = alerts_to(STAFF_A)
    [to_b] = alerts_to(STAFF_B)
    assert f"集体案件#{state.number}" in to_a and "3名工友" in to_a
    assert f"#{b_case.number}" in to_b and "3名工友" in to_b  # B's staff open a case of theirs


def test_lead_volunteer_gets_own_office_cases_only(app: Flask, offices: dict[str, Any],
                                                   post_signed: Any) -> None:
    lead, a2, b1 = form_across_offices(offices)
    route_case(lead)
    [offer] = offers_of(lead)
    assert offer.volunteer_id in (offices["vol_a"], offices["vol_a2"])
    reply = texts(post_signed, volunteer_phone(offer.volunteer_id),
                  f"Y{case_state(lead).number}")
    assert reply
    assert case_state(a2).assigned_volunteer_id == offer.volunteer_id  # same office: theirs
    b_case = case_state(b1)
    assert b_case.assigned_volunteer_id is None and b_case.status == CaseStatus.NEW
    joined = [m for m in outbound(Purpose.ALERT, to=volunteer_phone(offer.volunteer_id))
              if f"#{b_case.number}" in m.body]
    assert joined == []  # never told of the other office's case


def test_other_offices_case_is_offered_in_its_own_office(offices: dict[str, Any],
                                                         post_signed: Any) -> None:
    lead, _, b1 = form_across_offices(offices)
    b2, _ = add_case(WORKER_B2, employer=NAMES[3], organisation_id=offices["b"])
    assert detect(b2) is not None and case_state(b2).collective_case_id == lead
    assert alerts_to(STAFF_B) and len(alerts_to(STAFF_B)) == 1  # B heard once, at the link
    assert route_case(b1).startswith("queued")
    [offer] = offers_of(b1)
    assert offer.volunteer_id in (offices["vol_b"], offices["vol_b2"])
    texts(post_signed, volunteer_phone(offer.volunteer_id), f"Y{case_state(b1).number}")
    for case_id in (b1, b2):  # B's volunteer takes B's linked cases
        assert case_state(case_id).assigned_volunteer_id == offer.volunteer_id
    lead_state = case_state(lead)
    assert lead_state.assigned_volunteer_id is None and lead_state.status == CaseStatus.NEW
    assert route_case(lead).startswith("queued")
    assert {o.volunteer_id for o in offers_of(lead)} <= {offices["vol_a"], offices["vol_a2"]}


def test_a_later_other_office_case_alerts_its_staff_once(offices: dict[str, Any]) -> None:
    lead, _ = add_case(WORKER_A1, employer=NAMES[0], organisation_id=offices["a"])
    add_case(WORKER_A2, employer=NAMES[1], organisation_id=offices["a"])
    third, _ = add_case("+8613800000103", employer=NAMES[3], organisation_id=offices["a"])
    assert detect(third) is not None and alerts_to(STAFF_B) == []  # all of office A so far
    b1, _ = add_case(WORKER_B1, employer=NAMES[2], organisation_id=offices["b"])
    assert detect(b1) is not None
    [first] = alerts_to(STAFF_B)
    assert f"#{case_state(b1).number}" in first and "4名工友" in first
    b2, _ = add_case(WORKER_B2, employer="深圳宏达电子", organisation_id=offices["b"])
    assert detect(b2) is not None
    assert len(alerts_to(STAFF_B)) == 1 and len(alerts_to(STAFF_A)) == 1


def test_other_office_case_keeps_its_pending_offer_when_linked(
        offices: dict[str, Any], post_signed: Any) -> None:
    lead, _ = add_case(WORKER_A1, employer=NAMES[0], organisation_id=offices["a"])
    add_case(WORKER_A2, employer=NAMES[1], organisation_id=offices["a"])
    b1, _ = add_case(WORKER_B1, employer=NAMES[2], organisation_id=offices["b"])
    with get_db().begin() as s:  # B's case is routed before anything is collective
        case = s.get(Case, b1)
        assert case is not None
        case.employer = None  # so routing offers it plainly
    assert route_case(b1).startswith("queued")
    [offer] = offers_of(b1)
    with get_db().begin() as s:
        case = s.get(Case, b1)
        assert case is not None
        case.employer = NAMES[2]
    assert detect(b1) is not None
    [kept] = offers_of(b1)
    assert (kept.status, case_state(b1).status) == ("pending", CaseStatus.OFFERED)
    texts(post_signed, volunteer_phone(offer.volunteer_id), f"Y{case_state(b1).number}")
    assert case_state(b1).assigned_volunteer_id == offer.volunteer_id
    assert case_state(lead).assigned_volunteer_id is None  # not pulled across either way


def test_relay_from_the_lead_reaches_own_office_workers_only(
        offices: dict[str, Any], post_signed: Any) -> None:
    lead, _, _ = form_across_offices(offices)
    route_case(lead)
    [offer] = offers_of(lead)
    phone = volunteer_phone(offer.volunteer_id)
    number = case_state(lead).number
    texts(post_signed, phone, f"Y{number}")
    texts(post_signed, phone, f"R{number} 明天上午十点在厂门口集合，带好工资条")
    reached = {m.to_number for m in outbound(Purpose.RELAY)}
    assert reached == {WORKER_A1, WORKER_A2}  # office B's worker is B's to text
