"""Audiences as SQL: tags, fields, case category, open case; opted-out contacts never match."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from hotline.infra.db import get_db
from models import Case, CaseCategory, CaseStatus, Contact, ContactTag
from notifications.campaigns.audience import Audience, BadAudience

PEOPLE = [
    # (phone, language, province, city, tags, case category/status or None, opted out)
    ("+8613800000001", "zh", "河南", "东莞", ["henan", "construction"],
     (CaseCategory.WAGES, CaseStatus.IN_PROGRESS), False),
    ("+8613800000002", "zh", "四川", "深圳", ["training"],
     (CaseCategory.INJURY, CaseStatus.CLOSED), False),
    ("+8613800000003", "en", "河南", "深圳", ["henan", "training"], None, False),
    ("+8613800000004", "zh", "河南", "东莞", ["henan"], None, True),
]

CASES = [
    (Audience(), {1, 2, 3}),
    (Audience(tags=["HENAN"]), {1, 3}),
    (Audience(tags=["henan", "training"]), {1, 2, 3}),
    (Audience(all_tags=["henan", "training"]), {3}),
    (Audience(languages=["en"]), {3}),
    (Audience(provinces=["河南"], cities=["东莞"]), {1}),
    (Audience(case_categories=["injury"]), {2}),
    (Audience(has_open_case=True), {1}),
    (Audience(has_open_case=False), {2, 3}),
    (Audience(tags=["henan"], has_open_case=False), {3}),
]


@pytest.fixture
def people(app: Flask) -> None:
    """The contacts above, with their tags and cases."""
    with get_db().begin() as s:
        for phone, lang, province, city, tags, case, opted in PEOPLE:
            contact = Contact(phone=phone, language=lang, home_province=province,
                              work_city=city)
            s.add(contact)
            s.flush()
            s.add_all(ContactTag(contact_id=contact.id, tag=t) for t in tags)
            if case:
                s.add(Case(contact_id=contact.id, category=case[0], status=case[1]))
            if opted:
                contact.opt_out()


@pytest.mark.parametrize(("audience", "expected"), CASES)
def test_audience_filters(people: None, audience: Audience, expected: set[int]) -> None:
    with get_db().begin() as s:
        phones = set(s.scalars(audience.contacts().with_only_columns(Contact.phone)))
    assert phones == {PEOPLE[i - 1][0] for i in expected}


def test_audience_round_trips_as_json() -> None:
    audience = Audience(tags=["henan"], has_open_case=False)
    assert Audience.from_dict(audience.as_dict()) == audience


@pytest.mark.parametrize(("data", "message"), [
    ({"tag": ["x"]}, "unknown audience field"),
    ({"case_categories": ["wagez"]}, "unknown case categor"),
])
def test_bad_audience(data: dict[str, object], message: str) -> None:
    with pytest.raises(BadAudience, match=message):
        Audience.from_dict(data)


def test_query_never_loads_opted_out(people: None) -> None:
    with get_db().begin() as s:
        opted = s.scalar(select(Contact).where(Contact.opted_out_at.is_not(None)))
        assert opted is not None
        assert opted.phone not in set(s.scalars(
            Audience(tags=["henan"]).contacts().with_only_columns(Contact.phone)))


def test_stale_and_unverified_numbers_can_be_left_out(app: Flask) -> None:
    from models import utcnow

    now = utcnow()
    with get_db().begin() as s:
        s.add_all([Contact(phone="+8613800000011"),  # never re-checked
                   Contact(phone="+8613800000012", verified_at=now),
                   Contact(phone="+8613800000013", stale_at=now)])
    cases = [(Audience(), {"11", "12", "13"}), (Audience(exclude_stale=True), {"11", "12"}),
             (Audience(verified=True, exclude_stale=True), {"12"}),
             (Audience(verified=False), {"11", "13"})]
    for audience, expected in cases:
        assert Audience.from_dict(audience.as_dict()) == audience
        with get_db().begin() as s:
            phones = set(s.scalars(audience.contacts().with_only_columns(Contact.phone)))
        assert {p[-2:] for p in phones} == expected, audience
