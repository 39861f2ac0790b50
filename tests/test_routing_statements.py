"""How many SQL statements routing one case costs, per kind of case, on both databases.

A case's way to its first offer is the route task and the offer SMS going out: each statement
is a round trip and ORM work while other cases (and a campaign) wait for the same cores. The
bounds below are what the code reaches today; a change that adds a statement to one of these
routes fails here and must either earn it or find another way."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from hotline.infra.db import get_db
from hotline.routing import route_case
from models import Case, CaseCategory, CaseStatus, Message, MessageStatus, Purpose
from notifications.send import deliver
from tests.conftest import statements
from tests.test_collective import detect
from tests.test_routing_support import add_case, add_volunteer, case_state, offers_of, outbound

# Upper bounds per route and database, from the case to every text it queued handed to the
# provider (the route task sends the first offer itself; the others are sent by the send
# task). BEGIN/COMMIT are not statements the cursor executes, so they are not counted.
# Before the route task ranked in one statement, batched its offers and sent the first
# itself, these were 25 / 28 / 51 / 13 on PostgreSQL and 30 / 32 / 60 / 13 on SQLite; before
# ranking read plain columns and the offered volunteers were stamped in one UPDATE,
# 16 / 19 / 30 / 12 and 21 / 23 / 45 / 12; before a saved case's timeline entries were one
# INSERT on SQLite (PostgreSQL batched them already), 19 / 21 / 39 / 12 there.
BOUNDS = {
    "postgresql": {"normal": 14, "normal_employer": 17, "urgent": 24, "collective_member": 12},
    "sqlite": {"normal": 17, "normal_employer": 19, "urgent": 35, "collective_member": 12},
}


def show(label: str, seen: list[str]) -> None:
    """Print the statements (pytest shows them only when a bound fails)."""
    print(f"--- {len(seen)} statements: {label}")
    for sql in seen:
        print("   ", " ".join(sql.split())[:160])


def routed(app: Flask, case_id: int) -> int:
    """Statements of the route task for one case and of sending the texts it left queued."""
    with statements(app) as seen:
        route_case(case_id)
    show(f"route case {case_id}", seen)
    queued = [m.id for m in outbound() if m.case_id == case_id
              and m.status == MessageStatus.QUEUED]
    with statements(app) as sent:
        for mid in queued:
            deliver(mid)
    show(f"send {len(queued)} more text(s) of case {case_id}", sent)
    return len(seen) + len(sent)


def test_statements_per_route(app: Flask) -> None:
    app.config.update(URGENT_FANOUT=3, STAFF_NUMBERS=["+8613700000099"])
    for _ in range(6):
        add_volunteer(skills=["wages", "injury"], regions=["深圳"], capacity=10)
    counts: dict[str, int] = {}

    normal, _ = add_case(home="河南")
    counts["normal"] = routed(app, normal)
    assert case_state(normal).status == CaseStatus.OFFERED and len(offers_of(normal)) == 1

    named, _ = add_case(employer="深圳市宏达电子有限公司")
    counts["normal_employer"] = routed(app, named)
    assert case_state(named).status == CaseStatus.OFFERED and len(offers_of(named)) == 1

    urgent, _ = add_case(category=CaseCategory.INJURY)
    counts["urgent"] = routed(app, urgent)
    assert len(offers_of(urgent)) == 3

    # Three workers of one employer make a collective case; a fourth joins it when routed.
    ids = [add_case(employer=name)[0] for name in ("建华劳务公司", "建华劳务", "建华劳务厂")]
    assert detect(ids[2]) is not None
    member, _ = add_case(employer="建华劳务有限公司")
    counts["collective_member"] = routed(app, member)
    assert case_state(member).collective_case_id == ids[0]

    with get_db().begin() as s:
        sent = s.scalars(select(Message.status).where(Message.purpose == Purpose.OFFER)).all()
        assert len(sent) == 5 and MessageStatus.QUEUED not in sent
        assert s.scalar(select(Case.status).where(Case.id == member)) == CaseStatus.NEW
    assert len(outbound(Purpose.OFFER)) == 5
    print(counts)
    bounds = BOUNDS[app.extensions["db"].engine.dialect.name]
    over = {kind: n for kind, n in counts.items() if n > bounds[kind]}
    assert not over, f"more statements than {bounds}: {over}"
