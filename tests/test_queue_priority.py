"""Urgent work jumps the queue: a backlog of ordinary cases waits while a work injury goes first.

The proof runs on a real worker consuming real Redis: everything is published before the
worker starts, so the only thing deciding the order is the queue priority.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from devtools.fake_twilio import FakeTwilio
from hotline.infra.db import get_db
from hotline.infra.queues import URGENT, enqueue
from hotline.routing import route_case
from models import CaseCategory, Offer, Urgency
from tests.conftest import REDIS_URL, ROOT, stop_process, wait_until
from tests.test_e2e import worker_env
from tests.test_routing_support import add_case, add_volunteer

pytestmark = pytest.mark.e2e
BACKLOG = 15


def offered_case_ids() -> list[int]:
    """Case ids in the order their first offer was written."""
    with get_db().begin() as s:
        rows = s.execute(select(Offer.case_id).order_by(Offer.id)).scalars().all()
    seen: list[int] = []
    for case_id in rows:
        if case_id not in seen:
            seen.append(case_id)
    return seen


# The default queues, and an order that puts intake before urgent: priority, not the order in
# which the worker polls its queues, must put the urgent case first.
@pytest.mark.parametrize("queues", [(), ("-Q", "intake,campaigns,send,urgent")])
def test_urgent_case_is_routed_ahead_of_a_backlog(app: Flask, fake_twilio: FakeTwilio,
                                                  tmp_path: Path, queues: tuple[str, ...]
                                                  ) -> None:
    add_volunteer(skills=["wages", "injury"], capacity=BACKLOG + 5)
    backlog = [add_case()[0] for _ in range(BACKLOG)]
    urgent, _ = add_case(category=CaseCategory.INJURY, urgency=Urgency.URGENT)
    for case_id in backlog:
        assert enqueue(route_case, case_id)  # the intake queue, in arrival order
    assert enqueue(route_case, urgent, queue=URGENT)  # published last
    env = {**os.environ, **worker_env(app, fake_twilio, "http://127.0.0.1:9", REDIS_URL)}
    with (tmp_path / "worker.log").open("wb") as log:
        worker = subprocess.Popen([sys.executable, "-m", "celery", "-A", "worker", "worker",
                                   "-P", "solo", "--without-mingle", "--without-gossip", *queues],
                                  env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            order = wait_until(lambda: (ids := offered_case_ids()) and len(ids) == BACKLOG + 1
                               and ids, timeout=90, message="every case offered")
        finally:
            stop_process(worker)
    assert order[0] == urgent, f"urgent case {urgent} routed at position {order.index(urgent)}"
    assert order[1:] == backlog  # the rest keep their arrival order
