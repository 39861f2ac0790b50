"""Campaigns on Alibaba through SendBatchSms, with Alibaba's own SDK against the fake server:
up to 100 numbers a call, each text with its own parameters; per-number delivery reports
settle each row; a batch refused for one number sends the others one by one; a batch whose
answer was lost is found number by number with QuerySendDetails and adopted, never resent."""
# ruff: noqa: F811  (pytest fixtures imported from a sibling module are parameters here)

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta

from flask import Flask
from sqlalchemy import select, update

from devtools.fake_alibaba.server import FakeAlibaba
from hotline.infra.db import get_db
from models import (
    Campaign,
    CampaignStatus,
    Contact,
    ContactTag,
    Organisation,
    Recipient,
    RecipientStatus,
    TemplateKind,
    utcnow,
)
from notifications.campaigns import control as control
from notifications.campaigns.audience import Audience
from notifications.campaigns.compose import CampaignSpec, create_campaign
from notifications.campaigns.tasks import claim_chunk, run_chunk, start
from notifications.providers import get_provider
from notifications.providers.alibaba.batch import AlibabaBatch
from notifications.providers.base import BatchItem, batch_sender
from tests.alibaba_support import ALIBABA_SIGNATURE, fake_alibaba  # noqa: F401
from tests.conftest import LiveServer, wait_until
from tests.test_alibaba_provider import (  # noqa: F401
    PUSH_SECRET,
    add_template,
    ali_app,
    pushed,
)

TEMPLATE = "${name}，您登记的工资清欠事项有新进展，请留意热线短信。"
VARIANT = "{name}，您登记的工资清欠事项有新进展，请留意热线短信。"
# Names as workers give them: Chinese, pinyin, full-width, emoji, a numeral in Chinese.
NAMES = ["王伟", "李娜", "Zhang Wei", "刘芳😊", "陈Ｌｉ", "老三", "阿强(东莞)", "赵二十一"]


def make_campaign(fake: FakeAlibaba, n: int, organisation: int | None = None) -> int:
    """A templated campaign to `n` contacts with different names (the text's parameter)."""
    add_template(fake, "SMS_700001", TEMPLATE, "campaign", TemplateKind.NOTIFICATION)
    with get_db().begin() as s:
        contacts = [Contact(phone=f"+86137{i:08d}", name=f"{NAMES[i % len(NAMES)]}{i}")
                    for i in range(n)]
        s.add_all(contacts)
        s.flush()
        s.add_all(ContactTag(contact_id=c.id, tag="all") for c in contacts)
        campaign = create_campaign(s, CampaignSpec(
            name="清欠进展", variants={"zh": VARIANT}, signature=ALIBABA_SIGNATURE,
            footer=False, audience=Audience(tags=["all"]), quiet_hours="00:00-00:00",
            rate_per_second=1_000_000.0))
        campaign.organisation_id = organisation
        return campaign.id


def run_to_end(cid: int) -> None:
    """The start task and chunks in-process until the chain would stop."""
    control.request_start(cid)
    start(cid)
    for _ in range(50):
        if run_chunk(cid) is None:
            return
    raise AssertionError("the campaign did not stop")


def recipients() -> dict[str, tuple[int, RecipientStatus, str | None, str | None]]:
    """phone -> (id, status, sid, error message)."""
    with get_db().begin() as s:
        return {phone: (rid, status, sid, err) for rid, phone, status, sid, err in s.execute(
            select(Recipient.id, Recipient.phone, Recipient.status, Recipient.provider_sid,
                   Recipient.error_message))}


def calls(fake: FakeAlibaba, action: str) -> list[dict[str, object]]:
    """The API requests of one action that Alibaba accepted."""
    return [r for r in fake.requests if r["action"] == action and r["code"] == "OK"]


def test_the_provider_says_it_can_batch(ali_app: Flask) -> None:
    batches = batch_sender(get_provider())
    assert isinstance(batches, AlibabaBatch) and batches.max_batch == 100


def test_a_campaign_goes_in_batches_of_100_each_text_with_its_own_values(
        ali_app: Flask, fake_alibaba: FakeAlibaba, pushed: LiveServer) -> None:
    ali_app.config["CAMPAIGN_CHUNK_SIZE"] = 230
    cid = make_campaign(fake_alibaba, 230)
    run_to_end(cid)
    batches = calls(fake_alibaba, "SendBatchSms")
    assert sorted(len(json.loads(str(b["params"]["PhoneNumberJson"])))  # type: ignore[index]
                  for b in batches) == [30, 100, 100]
    assert calls(fake_alibaba, "SendSms") == []
    for b in batches:
        params = b["params"]
        assert isinstance(params, dict)
        assert params["OutId"] == f"c{cid}s"  # the campaign; the texts carry their signature
        assert set(json.loads(params["SignNameJson"])) == {ALIBABA_SIGNATURE}
    sent = fake_alibaba.sent
    assert Counter(m["phone"] for m in sent).most_common(1)[0][1] == 1 and len(sent) == 230
    rows = recipients()
    with get_db().begin() as s:
        names = dict(s.execute(select(Contact.phone, Contact.name)).all())
    for m in sent:
        phone = "+86" + m["phone"]
        assert m["text"] == f"【{ALIBABA_SIGNATURE}】" + TEMPLATE.replace(
            "${name}", str(names[phone]))
        assert rows[phone][2] == f"{m['biz_id']}/{m['phone']}"  # one sid per recipient
    assert len({m["biz_id"] for m in sent}) == 3
    # Each number's own delivery report (one BizId for its whole batch) settles its row.
    assert fake_alibaba.wait_for_pushes(30)
    wait_until(lambda: all(r[1] == RecipientStatus.DELIVERED for r in recipients().values()),
               timeout=30, message="every recipient delivered")
    with get_db().begin() as s:
        assert s.scalar(select(Campaign.status).where(Campaign.id == cid)) == \
            CampaignStatus.DONE


def test_an_undeliverable_number_in_a_batch_fails_alone(
        ali_app: Flask, fake_alibaba: FakeAlibaba, pushed: LiveServer) -> None:
    cid = make_campaign(fake_alibaba, 5)
    fake_alibaba.undeliverable("+8613700000002", "MK:0001")
    run_to_end(cid)
    assert len(calls(fake_alibaba, "SendBatchSms")) == 1
    assert fake_alibaba.wait_for_pushes(30)

    def settled() -> bool:
        return all(r[1] in (RecipientStatus.DELIVERED, RecipientStatus.FAILED)
                   for r in recipients().values())

    wait_until(settled, timeout=30, message="every report applied")
    rows = recipients()
    assert rows["+8613700000002"][1] == RecipientStatus.FAILED
    assert rows["+8613700000002"][3] == "not delivered (Alibaba MK:0001)"
    assert sorted(p for p, r in rows.items() if r[1] == RecipientStatus.DELIVERED) == [
        p for p in sorted(rows) if p != "+8613700000002"]


def test_a_batch_refused_for_one_number_sends_each_alone(
        ali_app: Flask, fake_alibaba: FakeAlibaba) -> None:
    cid = make_campaign(fake_alibaba, 6)
    # One number at its daily cap of this template refuses the whole call.
    fake_alibaba.set_frequency_limits(per_day=1)
    fake_alibaba.fail_next("isv.MOBILE_NUMBER_ILLEGAL", action="SendBatchSms")
    run_to_end(cid)
    refused = [r for r in fake_alibaba.requests if r["action"] == "SendBatchSms"]
    assert [r["code"] for r in refused] == ["isv.MOBILE_NUMBER_ILLEGAL"]
    assert len(calls(fake_alibaba, "SendSms")) == 6  # then one by one: each went once
    rows = recipients()
    assert {r[1] for r in rows.values()} == {RecipientStatus.ACCEPTED}
    assert Counter(m["phone"] for m in fake_alibaba.sent).most_common(1)[0][1] == 1
    for m in fake_alibaba.sent:
        assert m["out_id"] == f"r{rows['+86' + m['phone']][0]}s"  # a single send names its row


def test_a_capped_number_fails_and_the_rest_of_its_batch_goes(
        ali_app: Flask, fake_alibaba: FakeAlibaba) -> None:
    cid = make_campaign(fake_alibaba, 4)
    fake_alibaba.set_frequency_limits(per_day=1)
    with get_db().begin() as s:
        name = s.scalar(select(Contact.name).where(Contact.phone == "+8613700000001"))
    # That number already had this template's one text today.
    batches = batch_sender(get_provider())
    assert batches is not None
    before = batches.send_batch([BatchItem(0, "+8613700000001", f"【{ALIBABA_SIGNATURE}】"
                                           + VARIANT.format(name=name))],
                                from_="", campaign_id=cid)
    assert not isinstance(before[0], Exception)
    run_to_end(cid)
    rows = recipients()
    assert rows["+8613700000001"][1] == RecipientStatus.FAILED
    assert "24 hours" in (rows["+8613700000001"][3] or "")
    assert {r[1] for p, r in rows.items() if p != "+8613700000001"} == {
        RecipientStatus.ACCEPTED}
    assert Counter(m["phone"] for m in fake_alibaba.sent) == Counter(
        ["13700000000", "13700000001", "13700000002", "13700000003"])


def test_a_batch_whose_answer_was_lost_is_adopted_number_by_number(
        ali_app: Flask, fake_alibaba: FakeAlibaba) -> None:
    ali_app.config["CAMPAIGN_CHUNK_SIZE"] = 20
    fake_alibaba.report_delay = 3600.0  # no report settles it first: only the lookup can
    cid = make_campaign(fake_alibaba, 12)
    control.request_start(cid)
    start(cid)
    # A worker claims, sends a batch of eight, and dies before recording Alibaba's answer.
    campaign, items, _, _ = claim_chunk(cid)
    assert campaign is not None and len(items) == 12
    batches = batch_sender(get_provider())
    assert batches is not None
    lost = batches.send_batch([BatchItem(c.id, c.phone, c.body) for c in items[:8]],
                              from_=campaign.sender, campaign_id=cid)
    assert all(not isinstance(r, Exception) for r in lost)
    with get_db().begin() as s:  # its lease runs out
        s.execute(update(Recipient).values(claimed_at=utcnow() - timedelta(hours=1)))
    counts = control.reconcile(cid)
    # The eight are found at Alibaba (one batch: one OutId and time for all) and adopted,
    # each with a sid of its own; the four Alibaba never had are queued and sent once.
    assert counts["adopted"] == 8 and counts["requeued"] == 4, counts
    adopted = [r for r in recipients().values() if r[3] == "reconciled from the provider"]
    assert len({r[2] for r in adopted}) == 8
    assert all((r[2] or "").startswith(f"out:c{cid}s:") for r in adopted)
    for _ in range(10):
        if run_chunk(cid) is None:
            break
    sent = fake_alibaba.sent
    assert len(sent) == 12 and len({m["phone"] for m in sent}) == 12
    # The stand-in sids still fetch their texts (a refresh when a report is lost).
    lookup = control.lookup_for(get_provider())
    assert isinstance(lookup, AlibabaBatch)
    for r in adopted:
        found = lookup.fetch_sms(str(r[2]))
        assert found is not None and found.sid == r[2]
    # The reports, when Alibaba pushes them, name the BizId: each row takes a sid of its own.
    report = [{"phone_number": m["phone"], "send_time": m["sent_at"],
               "report_time": m["sent_at"], "success": True, "err_code": "DELIVERED",
               "err_msg": "用户接收成功", "sms_size": "1", "biz_id": m["biz_id"],
               "out_id": m["out_id"]} for m in sent]
    answer = ali_app.test_client().post(f"/alibaba/{PUSH_SECRET}/report", json=report)
    assert answer.status_code == 200
    by_phone = {"+86" + m["phone"]: m for m in sent}
    for phone, (_, status, sid, _) in recipients().items():
        assert status == RecipientStatus.DELIVERED
        assert sid == f"{by_phone[phone]['biz_id']}/{by_phone[phone]['phone']}"
        assert lookup.fetch_sms(str(sid)) is not None


def test_batch_texts_carry_the_offices_extend_code(
        ali_app: Flask, fake_alibaba: FakeAlibaba) -> None:
    with get_db().begin() as s:
        office = Organisation(name="东莞工友服务站", sms_extend_code="0427")
        s.add(office)
        s.flush()
        org = office.id
    cid = make_campaign(fake_alibaba, 3, organisation=org)
    run_to_end(cid)
    assert {m["extend_code"] for m in fake_alibaba.sent} == {"0427"}
    assert len(calls(fake_alibaba, "SendBatchSms")) == 1
