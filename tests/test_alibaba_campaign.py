"""Exactly once on Alibaba, on real parts: a templated campaign sent by a real Celery worker
through Alibaba's SDK (SendBatchSms, a batch per chunk) to the fake Alibaba server; the worker
is killed with SIGKILL mid-way, a new one finishes, and every recipient has exactly one message
at the provider. Rows the killed worker sent but never recorded are found with
QuerySendDetails (by number, date and the OutId naming the campaign) and adopted, never sent
again (tests/test_alibaba_batch.py takes that path step by step)."""
# ruff: noqa: F811  (pytest fixtures imported from a sibling module are parameters here)

from __future__ import annotations

import os
import time
from collections import Counter

import pytest
from flask import Flask
from sqlalchemy import func, select

from devtools.fake_alibaba.server import FakeAlibaba
from hotline.infra.db import get_db
from models import (
    Campaign,
    CampaignStatus,
    Contact,
    ContactTag,
    Recipient,
    RecipientStatus,
    TemplateKind,
)
from notifications.campaigns import control as control
from notifications.campaigns.audience import Audience
from notifications.campaigns.compose import CampaignSpec, create_campaign
from tests.alibaba_support import ALIBABA_SIGNATURE, fake_alibaba  # noqa: F401
from tests.conftest import start_worker, stop_process, wait_until
from tests.test_alibaba_e2e import worker_env
from tests.test_alibaba_provider import add_template, ali_app  # noqa: F401
from tests.test_campaign_worker import INTS, kill_tree

pytestmark = pytest.mark.e2e
N = int(os.environ.get("ALIBABA_CAMPAIGN_SIZE", "2000"))
SETTINGS = {"CAMPAIGN_CHUNK_SIZE": "50", "CAMPAIGN_SEND_THREADS": "4",
            "CAMPAIGN_PARALLELISM": "2", "CAMPAIGN_RECONCILE_AFTER_SECONDS": "2",
            "CAMPAIGN_STALL_SECONDS": "1", "CAMPAIGN_RATE_PER_SECOND": "10000"}
# A notification template: a promotional one may not be sent at any hour (quiet hours
# 00:00-00:00 are refused for it: test_alibaba_limits.py), and this test runs at any hour.
TEMPLATE = "${name}，您登记的工资清欠事项有新进展，请留意热线短信。"
VARIANT = "{name}，您登记的工资清欠事项有新进展，请留意热线短信。"


def count(status: RecipientStatus) -> int:
    """Recipients in one status."""
    with get_db().begin() as s:
        return int(s.scalar(select(func.count()).where(Recipient.status == status)) or 0)


def test_worker_killed_mid_campaign_sends_each_recipient_exactly_once(
        ali_app: Flask, fake_alibaba: FakeAlibaba) -> None:
    # No push URL: what the killed worker never recorded is settled by asking Alibaba.
    fake_alibaba.push_url = None
    ali_app.config.update({k: (int(v) if k in INTS else float(v)) for k, v in SETTINGS.items()})
    add_template(fake_alibaba, "SMS_600001", TEMPLATE, "campaign", TemplateKind.NOTIFICATION)
    with get_db().begin() as s:
        contacts = [Contact(phone=f"+86139{i:08d}", name=f"工友{i}") for i in range(N)]
        s.add_all(contacts)
        s.flush()
        s.add_all(ContactTag(contact_id=c.id, tag="all") for c in contacts)
        cid = create_campaign(s, CampaignSpec(
            name="法律咨询日", variants={"zh": VARIANT}, signature=ALIBABA_SIGNATURE,
            footer=False, audience=Audience(tags=["all"]), quiet_hours="00:00-00:00")).id
    env = {**worker_env(ali_app, fake_alibaba, ali_app.config["PUBLIC_URL"]), **SETTINGS}
    first = start_worker(env, "--pool", "prefork")
    second = None
    began = time.monotonic()
    try:
        # Alibaba takes a quarter of the texts, then holds its answers: the worker is then
        # surely between the carrier accepting a batch and recording it when it dies.
        fake_alibaba.hold_answers_after(N // 4)
        control.request_start(cid)
        wait_until(lambda: fake_alibaba.held > 0, timeout=120,
                   message="a batch accepted and its answer held")
        left_sending = count(RecipientStatus.SENDING)
        kill_tree(first)
        fake_alibaba.release_answers()
        sent_before = len(fake_alibaba.sent)
        assert sent_before < N and left_sending > 0
        second = start_worker(env)

        def finished() -> bool:
            control.tick_now()  # what celery beat runs every 15 s: reconcile, restart
            with get_db().begin() as s:
                return s.get(Campaign, cid).status == CampaignStatus.DONE  # type: ignore

        wait_until(finished, timeout=180, interval=0.5, message="the campaign to finish")
        took = time.monotonic() - began
    finally:
        fake_alibaba.release_answers()
        if first.poll() is None:
            kill_tree(first)
        log = stop_process(second) if second else ""
    sent = fake_alibaba.sent
    per_phone = Counter(m["phone"] for m in sent)
    duplicates = sum(n - 1 for n in per_phone.values())
    missing = N - len(per_phone)
    print(f"Alibaba campaign: {N} recipients in {took:.1f}s, killed after {sent_before} sends "
          f"({left_sending} left SENDING); {duplicates} duplicates, {missing} missing")
    assert duplicates == 0 and missing == 0, per_phone.most_common(3)
    assert {m["template_code"] for m in sent} == {"SMS_600001"}
    assert all(m["text"].startswith("【工友热线】工友") for m in sent)
    with get_db().begin() as s:
        rows = s.execute(select(Recipient.id, Recipient.phone, Recipient.status,
                                Recipient.provider_sid, Recipient.error_message)).all()
    by_phone = {m["phone"]: m for m in sent}
    adopted = 0
    batches = [r for r in fake_alibaba.requests if r["action"] == "SendBatchSms"]
    assert batches and not [r for r in fake_alibaba.requests if r["action"] == "SendSms"]
    for _rid, phone, status, sid, note in rows:
        message = by_phone[phone[3:]]
        assert message["out_id"] == f"c{cid}s"  # the campaign; the text carried its 【signature】
        if note == "reconciled from the provider":
            adopted += 1  # found by lookup, which gives no BizId: a sid of its own per number
            assert (sid or "").startswith(f"out:c{cid}s:") and (sid or "").endswith(phone[3:])
        else:
            assert sid == f"{message['biz_id']}/{phone[3:]}"
        assert status in (RecipientStatus.ACCEPTED, RecipientStatus.DELIVERED), status
    print(f"{len(batches)} SendBatchSms calls; {adopted} rows the killed worker sent but never "
          "recorded were adopted from Alibaba")
    assert "Traceback" not in log, log[-3000:]
