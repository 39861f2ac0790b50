"""Collective disputes: employer names normalised, near duplicates matched, N workers within
T days linked into one urgent case with staff alerted at once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from hotline.collective import check_collective
from hotline.employers import employer_key, same_employer
from hotline.infra.db import get_db
from models import Case, CaseCategory, CaseStatus, EventKind, Purpose, Urgency
from models.base import utcnow
from tests.test_routing_support import (
    add_case,
    add_volunteer,
    case_state,
    events,
    offers_of,
    outbound,
    texts,
    volunteer_phone,
)

STAFF = "+8613700000099"
KEY_TABLE = [
    ("深圳市宏达电子有限公司", "深圳宏达电子"), ("深圳 宏达电子厂", "深圳宏达电子"),
    ("ＳＨＥＮＺＨＥＮ Hongda Co., Ltd.", "shenzhenhongda"),
    ("宏达建筑工程有限责任公司", "宏达建筑工程"),
    ("深圳市宏達電子廠", "深圳宏达电子"),  # a phone set to Traditional: 達 電 廠
    ("東莞興業鞋業有限公司", "东莞兴业鞋业"),
    ("  ", None), (None, None),
    # 省/市/区/县 go only after leading place names or at the very end, never mid-name.
    ("园区物业管理有限公司", "园区物业管理"), ("城市之光餐饮", "城市之光餐饮"),
    ("广东省深圳市宝安区宏达电子厂", "广东深圳宝安宏达电子"),
    ("宏达市政工程有限公司", "宏达市政工程"),
    ("黑龙江省哈尔滨市华强建筑", "黑龙江哈尔滨华强建筑"), ("宏达工业园区", "宏达工业园"),
]


@pytest.mark.parametrize("raw,key", KEY_TABLE, ids=[str(r) for r, _ in KEY_TABLE])
def test_employer_key(raw: str | None, key: str | None) -> None:
    assert employer_key(raw) == key


@pytest.mark.parametrize("a,b,same", [
    ("深圳市宏达电子有限公司", "深圳宏大电子厂", True),  # pinyin typo 达/大
    ("深圳宏达电子", "深圳宏达電子公司", True),  # traditional character
    ("深圳宏達電子廠", "深圳市宏达电子有限公司", True),  # all Traditional, suffix 廠
    ("深圳宏达电子", "广州宏达电子", False),
    ("富士康", "比亚迪", False),
])
def test_near_duplicates(a: str, b: str, same: bool) -> None:
    assert same_employer(employer_key(a), employer_key(b), 80) is same


def detect(case_id: int, now: Any = None) -> Case | None:
    """Run detection for one case."""
    with get_db().begin() as s:
        case = s.get(Case, case_id)
        assert case is not None
        lead = check_collective(s, case, now or utcnow())
        return lead


def test_three_workers_one_employer_become_one_urgent_case(app: Flask) -> None:
    app.config["STAFF_NUMBERS"] = [STAFF]
    a, _ = add_case(employer="深圳市宏达电子有限公司", amount_owed=5000)
    b, _ = add_case(employer="深圳宏达电子厂")
    assert detect(a) is None and detect(b) is None  # two workers are not yet collective
    c, _ = add_case(employer="深圳 宏大电子", amount_owed=7000)
    lead = detect(c)
    assert lead is not None and lead.id == a
    lead_state = case_state(a)
    assert (lead_state.category, lead_state.urgency, lead_state.people_affected) == (
        CaseCategory.COLLECTIVE, Urgency.URGENT, 3)
    assert lead_state.amount_owed == 5000  # its own worker's claim (the total: hotline.disputes)
    assert case_state(b).collective_case_id == a and case_state(c).collective_case_id == a
    [alert] = outbound(Purpose.ALERT)
    assert alert.to_number == STAFF and "3名工友" in alert.body
    assert events(a, EventKind.COLLECTIVE)[0].data["workers"] == 3
    d, _ = add_case(employer="深圳市宏达电子科技有限公司")  # a fourth joins the existing one
    assert detect(d) is not None and case_state(a).people_affected == 4


def test_the_collective_case_counts_the_workers_one_of_them_said_are_owed(app: Flask) -> None:
    """Three workers texted, one said "十几个" are owed: the collective case says about 12
    (it said 3, the workers who texted, and the count the worker gave was lost)."""
    add_case(employer="东莞精密五金厂")
    add_case(employer="东莞精密五金", people_affected=12, people_approximate=True)
    c, _ = add_case(employer="精密五金厂")
    lead = detect(c)
    assert lead is not None
    state = case_state(lead.id)
    assert (state.people_affected, state.people_approximate) == (12, True)


def test_same_worker_twice_or_outside_the_window_is_not_collective(app: Flask) -> None:
    old = utcnow() - timedelta(days=20)
    add_case(employer="富士康", created_at=old)
    phone = "+8613811112222"
    add_case(phone, employer="富士康科技集团")
    second, _ = add_case(phone, employer="富士康")
    assert detect(second) is None  # one worker twice + one too old
    third, _ = add_case(employer="富士康公司")
    assert detect(third) is None
    fourth, _ = add_case(employer="富士康工厂")
    assert detect(fourth) is not None


def test_worker_text_naming_employer_routes_collective_urgently(app: Flask,
                                                                post_signed: Any) -> None:
    """Through intake: the third worker's message forms the case; it is offered to several."""
    app.config.update(URGENT_FANOUT=2, STAFF_NUMBERS=[STAFF])
    vids = [add_volunteer(skills=["collective"]) for _ in range(3)]
    ids = [add_case(employer=name)[0] for name in ("建华劳务公司", "建华劳务")]
    third, _ = add_case("+8613899990000", employer="建华劳务有限公司")
    texts(post_signed, "+8613899990000", "老板还是没发工资")
    lead = case_state(ids[0])
    assert lead.category == CaseCategory.COLLECTIVE and case_state(third).collective_case_id
    from hotline.routing import route_case

    route_case(ids[0])
    assert len(offers_of(ids[0])) == 2 and len(vids) == 3
    winner = offers_of(ids[0])[0].volunteer_id
    texts(post_signed, volunteer_phone(winner), f"Y{lead.number}")
    for member in (ids[1], third):
        state = case_state(member)
        assert (state.status, state.assigned_volunteer_id) == (CaseStatus.ASSIGNED, winner)
