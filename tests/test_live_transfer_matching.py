"""A live transfer during a call rings the volunteer routing would offer the case to first:
same organisation only, below capacity, speaks the caller's language. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from hotline.infra.db import get_db
from hotline.matching import rank_candidates
from hotline.offers import offer_case
from hotline.webhooks.twilio_voice import available_volunteer
from ivr_flows.model import OfficeHours
from models import Case, CaseStatus, Organisation, Role, User, Volunteer
from tests.test_routing_support import add_case, add_volunteer, case_state, offers_of
from tests.test_voice_webhook import NIGHT, OFFICE_HOURS, Caller, says, walk_to_confirm

PEARL = "珠三角工友中心"  # region 广东: the calls below are from workers in 广东深圳
HENAN = "河南固始服务站"


def add_office(name: str, region: str) -> int:
    """An organisation whose region takes cases from workers working there."""
    with get_db().begin() as s:
        org = Organisation(name=name, region=region)
        s.add(org)
        s.flush()
        return org.id


def call_until_dial(post_signed: Any) -> tuple[Caller, str | None]:
    """Walk a Mandarin intake to the transfer and ask for a volunteer: (caller, number rung)."""
    caller = Caller(post_signed)
    walk_to_confirm(caller)
    caller.keys("1")  # confirm
    if "请按1" not in "".join(says(caller.twiml)):
        return caller, None  # not even offered a transfer: nobody may take it
    dial = caller.keys("1").find("Dial")
    return caller, (dial.findtext("Number") if dial is not None else None)


def the_only_case() -> Case:
    with get_db().begin() as s:
        return s.scalars(select(Case)).one()


def test_another_offices_volunteer_is_never_dialled_nor_assigned(app: Flask,
                                                                post_signed: Any) -> None:
    app.config["FLOW_CLOCK"] = lambda: OFFICE_HOURS
    add_office(PEARL, "广东省")
    henan = add_office(HENAN, "河南省固始县")
    # The best match on every score but the office: Henan dialect, skills, 广东 regions.
    add_volunteer(name="他处律师", phone="+8613900000101", organisation_id=henan,
                  dialects=["henan"], skills=["collective", "wages"], regions=["深圳"],
                  home_province="河南")
    caller, rung = call_until_dial(post_signed)
    assert rung is None
    assert "志愿者都在忙" in "".join(says(caller.twiml))
    assert caller.twiml.find("Record") is not None  # a voicemail instead
    case = the_only_case()
    assert case.assigned_volunteer_id is None and case.status == CaseStatus.NEW


def test_own_offices_volunteer_is_dialled_and_gets_the_case(app: Flask,
                                                            post_signed: Any) -> None:
    app.config["FLOW_CLOCK"] = lambda: OFFICE_HOURS
    pearl = add_office(PEARL, "广东省")
    henan = add_office(HENAN, "河南省固始县")
    add_volunteer(name="他处律师", phone="+8613900000101", organisation_id=henan,
                  dialects=["henan"], skills=["collective"], regions=["深圳"])
    own = add_volunteer(name="本处社工", phone="+8613900000102", organisation_id=pearl)
    caller, rung = call_until_dial(post_signed)
    assert rung == "+8613900000102"
    caller.answer(DialCallStatus="completed", DialCallDuration="90")
    case = the_only_case()
    assert (case.organisation_id, case.assigned_volunteer_id, case.status) == (
        pearl, own, CaseStatus.ASSIGNED)


def test_a_volunteer_at_capacity_is_not_dialled(app: Flask, post_signed: Any) -> None:
    app.config["FLOW_CLOCK"] = lambda: OFFICE_HOURS
    full = add_volunteer(name="满额", phone="+8613900000103", capacity=1,
                         dialects=["henan"], skills=["collective"])
    free = add_volunteer(name="有空", phone="+8613900000104", capacity=2)
    add_case(assigned_volunteer_id=full, status=CaseStatus.ASSIGNED)
    _, rung = call_until_dial(post_signed)
    assert rung == "+8613900000104"
    with get_db().begin() as s:
        s.get(Volunteer, free).capacity = 0  # type: ignore[union-attr]
    _, rung = call_until_dial_again(post_signed)
    assert rung is None  # nobody has room: no transfer offered at all


def call_until_dial_again(post_signed: Any) -> tuple[Caller, str | None]:
    """A second, separate call (its own CallSid and caller) walked to the transfer."""
    caller = Caller(_other_caller(post_signed), sid="CA" + "b" * 32)
    walk_to_confirm(caller)
    caller.keys("1")
    if "请按1" not in "".join(says(caller.twiml)):
        return caller, None
    dial = caller.keys("1").find("Dial")
    return caller, (dial.findtext("Number") if dial is not None else None)


def _other_caller(post_signed: Any) -> Any:
    def post(path: str, form: dict[str, str], **kw: Any) -> Any:
        return post_signed(path, {**form, "From": "+8613800138999"}, **kw)
    return post


def test_a_disabled_volunteer_is_not_dialled(app: Flask, post_signed: Any) -> None:
    app.config["FLOW_CLOCK"] = lambda: OFFICE_HOURS
    gone = add_volunteer(name="已离开", phone="+8613900000105", dialects=["henan"],
                         skills=["collective"])
    add_volunteer(name="在岗", phone="+8613900000106")
    with get_db().begin() as s:
        user = User(username="gone", role=Role.VOLUNTEER, volunteer_id=gone, active=False)
        user.set_password("not-used-here-2026")
        s.add(user)
    _, rung = call_until_dial(post_signed)
    assert rung == "+8613900000106"


# Pools of volunteers (name -> fields) and the case; the live transfer and the routing offer
# must pick the same person, and that person must pass every rule.
POOLS: list[tuple[str, dict[str, Any], dict[str, dict[str, Any]], str | None]] = [
    ("dialect beats plain Mandarin", {"dialect": "henan"},
     {"plain": {}, "dialect": {"dialects": ["河南话"]}}, "dialect"),
    ("skill and city", {"category": "injury", "work_city": "东莞", "work_province": "广东"},
     {"plain": {}, "skilled": {"skills": ["injury"], "regions": ["东莞市"]}}, "skilled"),
    ("English caller", {"language": "en"},
     {"mandarin": {"dialects": ["henan"], "skills": ["wages"]},
      "english": {"languages": ["en", "zh"]}}, "english"),
    ("English caller, nobody speaks it", {"language": "en"},
     {"mandarin": {"skills": ["wages"]}}, None),
    ("off duty and out of shift are out", {},
     {"off": {"on_duty": False, "skills": ["wages"]},
      "night": {"shifts": [{"days": [0], "start": "22:00", "end": "23:00"}],
                "skills": ["wages"]},
      "plain": {}}, "plain"),
    ("busy one loses on load", {},
     {"busy": {"capacity": 2, "_load": 1}, "idle": {"capacity": 2}}, "idle"),
    ("full one is out even if best", {"dialect": "henan"},
     {"full": {"capacity": 1, "_load": 1, "dialects": ["henan"], "skills": ["wages"]},
      "plain": {}}, "plain"),
    ("another office is out", {"_office": "mine"},
     {"theirs": {"_office": "theirs", "dialects": ["henan"], "skills": ["wages"]},
      "mine": {"_office": "mine"}}, "mine"),
]


@pytest.mark.parametrize("title,case_fields,pool,expected", POOLS, ids=[p[0] for p in POOLS])
def test_live_transfer_rings_whom_routing_would_offer_first(
        app: Flask, title: str, case_fields: dict[str, Any], pool: dict[str, dict[str, Any]],
        expected: str | None) -> None:
    app.config["FLOW_CLOCK"] = lambda: OFFICE_HOURS
    offices = {name: add_office(name, name) for name in ("mine", "theirs")}
    ids = {}
    for i, (name, given) in enumerate(pool.items()):
        fields = dict(given)  # the table is shared by the SQLite and PostgreSQL runs
        load = fields.pop("_load", 0)
        office = fields.pop("_office", None)
        ids[name] = add_volunteer(name=name, phone=f"+861390000{i:04d}",
                                  organisation_id=offices.get(office or ""), **fields)
        for _ in range(load):
            add_case(assigned_volunteer_id=ids[name], status=CaseStatus.ASSIGNED)
    case_fields = dict(case_fields)
    office = case_fields.pop("_office", None)
    case_id, _ = add_case(organisation_id=offices.get(office or ""), **case_fields)
    with get_db().begin() as s:
        case = s.get(Case, case_id)
        assert case is not None
        rung = available_volunteer(s, case.language, case)
        ranked = rank_candidates(s, case, OFFICE_HOURS)
        offer_case(s, case, OFFICE_HOURS)
    want = ids[expected] if expected else None
    assert (rung.id if rung else None) == want, (ids, ranked)
    assert (ranked[0].volunteer_id if ranked else None) == want
    offered = [o.volunteer_id for o in offers_of(case_id)]  # urgent: several, best first
    assert offered[:1] == ([want] if want else [])
    if want is None:
        assert case_state(case_id).status == CaseStatus.ESCALATED


def test_the_cases_own_volunteer_is_rung_while_they_may_keep_it(app: Flask) -> None:
    app.config["FLOW_CLOCK"] = lambda: OFFICE_HOURS
    pearl = add_office(PEARL, "广东省")
    owner = add_volunteer(name="负责人", organisation_id=pearl, capacity=1)
    add_volunteer(name="别人", organisation_id=pearl, dialects=["henan"], skills=["wages"])
    case_id, _ = add_case(organisation_id=pearl, assigned_volunteer_id=owner,
                          status=CaseStatus.ASSIGNED, dialect="henan")
    with get_db().begin() as s:
        case = s.get(Case, case_id)
        assert case is not None
        # At capacity only because of this very case: still theirs to answer.
        assert available_volunteer(s, "zh", case).id == owner  # type: ignore[union-attr]
        s.get(Volunteer, owner).on_duty = False  # type: ignore[union-attr]
        other = available_volunteer(s, "zh", case)
        assert other is not None and other.id != owner and other.organisation_id == pearl


@pytest.mark.parametrize(("hours", "rings"), [("always", True), ("mon-sat 09:00-21:00", False),
                                              ("mon-fri 22:00-23:00", False)])
def test_the_centre_s_own_hours_decide_a_night_call(app: Flask, post_signed: Any, hours: str,
                                                    rings: bool) -> None:
    app.config["FLOW_CLOCK"] = lambda: NIGHT  # Tuesday 00:00 in Shanghai
    app.config["OFFICE_HOURS"] = OfficeHours.parse(hours)
    add_volunteer(name="夜班社工", phone="+8613900000103")
    caller, rung = call_until_dial(post_signed)
    if rings:
        assert rung == "+8613900000103"
    else:  # after hours: straight to a message, no live transfer offered
        assert rung is None and caller.twiml.find("Record") is not None
