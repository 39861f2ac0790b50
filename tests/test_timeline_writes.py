"""A saved case's timeline entries are written together, and nothing about them changes.

Entries logged on a case that is already in the database wait in the session and are written
in one statement before the next ORM statement, after a flush, or at commit; these tests pin
what a reader of the timeline sees: every entry, in the order logged, with the message it names,
and none of a transaction (or savepoint) that was rolled back. Both databases."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from hotline.infra.db import get_db
from models import Case, CaseEvent, Contact, Direction, EventKind, Message, MessageStatus, Purpose
from tests.conftest import statements


def saved_case(phone: str = "+8613800000001") -> int:
    """A case committed in a transaction of its own; its id."""
    with get_db().begin() as s:
        contact = Contact(phone=phone)
        s.add(contact)
        s.flush()
        case = Case(contact_id=contact.id)
        s.add(case)
        s.flush()
        case.assign_number()
        return case.id


def timeline(case_id: int) -> list[tuple[str, str, int | None]]:
    """(kind, text, message_id) of the case's entries, oldest first."""
    with get_db().begin() as s:
        return [(str(e.kind), e.text, e.message_id) for e in s.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id))]


def test_entries_of_a_saved_case_are_one_statement_in_the_order_logged(app: Flask) -> None:
    with app.app_context():
        case_id = saved_case()
        with statements(app) as seen, get_db().begin() as s:
            case = s.get(Case, case_id)
            assert case is not None
            for i in range(4):
                case.log(EventKind.NOTE, f"第{i + 1}条")
        inserts = [sql for sql in seen if sql.startswith("INSERT INTO case_events")]
        assert len(inserts) == 1
        assert [t for _, t, _ in timeline(case_id)] == ["第1条", "第2条", "第3条", "第4条"]


def test_a_query_in_the_same_transaction_finds_what_was_logged(app: Flask) -> None:
    with app.app_context():
        case_id = saved_case()
        with get_db().begin() as s:
            case = s.get(Case, case_id)
            assert case is not None
            case.log(EventKind.ROUTING, "排队：深圳")
            found = s.scalars(select(CaseEvent.text).where(CaseEvent.case_id == case_id)).all()
            assert found == ["排队：深圳"]


def test_an_entry_naming_a_message_not_yet_written_gets_its_id(app: Flask) -> None:
    with app.app_context():
        case_id = saved_case()
        with get_db().begin() as s:
            case = s.get(Case, case_id)
            assert case is not None
            case.log(EventKind.NOTE, "之前")
            msg = Message(direction=Direction.INBOUND, purpose=Purpose.INTAKE,
                          status=MessageStatus.RECEIVED, from_number="+8613800000001",
                          to_number="+8610086000000", body="老板欠我工资", case_id=case_id)
            s.add(msg)
            case.log(EventKind.MESSAGE_IN, msg.body, actor="worker").message = msg
            case.log(EventKind.NOTE, "之后")
        rows = timeline(case_id)
        assert [t for _, t, _ in rows] == ["之前", "老板欠我工资", "之后"]
        assert rows[1][2] is not None and rows[0][2] is None
        with get_db().begin() as s:
            assert s.get(Message, rows[1][2]) is not None


def test_a_rolled_back_transaction_writes_none_of_its_entries(app: Flask) -> None:
    with app.app_context():
        case_id = saved_case()
        with pytest.raises(RuntimeError), get_db().begin() as s:
            case = s.get(Case, case_id)
            assert case is not None
            case.log(EventKind.NOTE, "不该留下")
            raise RuntimeError("the request failed")
        with get_db().begin() as s:
            case = s.get(Case, case_id)
            assert case is not None
            case.log(EventKind.NOTE, "留下")
        assert [t for _, t, _ in timeline(case_id)] == ["留下"]


def test_a_savepoint_rolled_back_forgets_only_its_own_entries(app: Flask) -> None:
    with app.app_context():
        case_id = saved_case()
        with get_db().begin() as s:
            case = s.get(Case, case_id)
            assert case is not None
            case.log(EventKind.NOTE, "外面")
            savepoint = s.begin_nested()
            case.log(EventKind.NOTE, "里面")
            savepoint.rollback()
            case.log(EventKind.NOTE, "后来")
        assert [t for _, t, _ in timeline(case_id)] == ["外面", "后来"]


def test_a_new_case_keeps_its_entries_with_it(app: Flask) -> None:
    with app.app_context(), get_db().begin() as s:
        contact = Contact(phone="+8613800000002")
        s.add(contact)
        s.flush()
        case = Case(contact_id=contact.id)
        s.add(case)
        case.log(EventKind.NOTE, "新案件")  # not saved yet: the entry goes in with it
        s.flush()
        case.log(EventKind.NOTE, "保存以后")
        case_id = case.id
    assert [t for _, t, _ in timeline(case_id)] == ["新案件", "保存以后"]
