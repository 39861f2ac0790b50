"""The whole loop on real parts: offer → accept → relay → worker reply → DONE → survey, through
a real Celery worker on real Redis, the real twilio client and the fake Twilio server.

On Twilio only: what it proves beyond the behaviour is the real worker process, real HTTP and
Twilio's status callbacks reaching the app. The same loop runs on both carriers in-process
(test_both_providers.py), and on Alibaba through a real worker in test_alibaba_e2e.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from devtools.fake_twilio import FakeTwilio
from hotline.infra.queues import enqueue
from hotline.routing import route_case
from tests.conftest import (
    REDIS_URL,
    LiveServer,
    http_post_signed,
    sms_form,
    start_worker,
    stop_process,
    wait_until,
)
from tests.test_e2e import worker_env
from tests.test_routing_support import AMOUNT, add_case, add_volunteer, case_state

pytestmark = pytest.mark.e2e
WORKER = "+8613812345678"
VOLUNTEER = "+8613900000042"


@pytest.fixture
def live(app: Flask) -> Iterator[LiveServer]:
    """The app over real HTTP; PUBLIC_URL points at it so callbacks arrive."""
    server = LiveServer(app)
    app.config["PUBLIC_URL"] = server.url
    yield server
    server.stop()


def test_offer_accept_relay_close_survey(app: Flask, fake_twilio: FakeTwilio,
                                         live: LiveServer) -> None:
    add_volunteer(phone=VOLUNTEER, skills=["wages"])
    case_id, number = add_case(WORKER, people_affected=3, amount_owed=AMOUNT)
    worker = start_worker(worker_env(app, fake_twilio, live.url, REDIS_URL))

    def sms(sender: str, body: str) -> Any:
        resp = http_post_signed(live.url + "/twilio/sms", sms_form(sender, body))
        assert resp.status_code == 200
        return resp

    def arrived(to: str, needle: str) -> dict[str, Any]:
        found = wait_until(lambda: [m for m in fake_twilio.messages_to(to)
                                    if needle in m["body"]], timeout=60,
                           message=f"SMS to {to} containing {needle!r}")
        return dict(found[0])

    try:
        enqueue(route_case, case_id)
        offer = arrived(VOLUNTEER, f"Y{number}")
        assert offer["body"].startswith(f"新案件 #{number} 欠薪 深圳 3人 约¥12000")
        assert "已分配给您" in sms(VOLUNTEER, f"Y {number}").text
        sms(VOLUNTEER, f"R{number} 明天上午十点给您打电话")
        relay = arrived(WORKER, "明天上午十点")
        assert relay["from"] == app.config["HOTLINE_NUMBER"] and VOLUNTEER not in relay["body"]
        sms(WORKER, "好的 我等您电话")
        forwarded = arrived(VOLUNTEER, "我等您电话")
        assert WORKER not in forwarded["body"]
        assert "已办结" in sms(VOLUNTEER, f"DONE {number} 12000").text
        arrived(WORKER, "1-5")
        assert "谢谢" in sms(WORKER, "5").text
        case = case_state(case_id)
        assert (case.status, case.amount_recovered, case.satisfaction) == (
            "resolved", AMOUNT, 5)
    finally:
        log = stop_process(worker)
    assert "Traceback" not in log, log
