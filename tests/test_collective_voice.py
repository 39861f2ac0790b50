"""Workers who only phoned (no SMS, so no intake hook ran) still form a collective dispute:
routing checks the employer before it offers the case."""

from __future__ import annotations

from flask import Flask

from hotline.routing import route_case
from models import CaseCategory, Channel, Urgency
from tests.test_routing_support import add_case, add_volunteer, case_state


def test_phoned_in_cases_naming_one_employer_become_collective_when_routed(app: Flask) -> None:
    add_volunteer(skills=["collective", "wages"])
    ids = [add_case(employer=name, channel=Channel.VOICE)[0]
           for name in ("东莞市永兴鞋业有限公司", "东莞永兴鞋厂", "东莞 永兴鞋业")]
    results = [route_case(case_id) for case_id in ids]
    assert "collective" in results[-1], results
    lead = case_state(ids[0])
    assert (lead.category, lead.urgency, lead.people_affected) == (
        CaseCategory.COLLECTIVE, Urgency.URGENT, 3)
    assert all(case_state(i).collective_case_id == ids[0] for i in ids[1:])
