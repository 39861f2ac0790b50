"""Alibaba's sending caps and promotional sending hours.

A per-number cap (isv.BUSINESS_LIMIT_CONTROL) or the account's daily/monthly cap
(isv.DAY_LIMIT_CONTROL, isv.MONTH_LIMIT_CONTROL) lifts in hours or days: the text fails once,
with a reason staff can act on, instead of being retried every few seconds; a campaign goes on
to its other recipients. A campaign on a promotional template cannot start with quiet hours that
let it send outside 08:00-21:00 in the recipient's time."""
# ruff: noqa: F811  (pytest fixtures imported from a sibling module are parameters here)

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from devtools.fake_alibaba.server import FakeAlibaba
from hotline.infra.db import get_db
from models import (
    Campaign,
    CampaignStatus,
    Contact,
    ContactTag,
    MessageStatus,
    Recipient,
    RecipientStatus,
    TemplateKind,
)
from notifications.campaigns import control as control
from notifications.campaigns.audience import Audience
from notifications.campaigns.compose import (
    CampaignNotReady,
    CampaignSpec,
    check_campaign,
    create_campaign,
)
from notifications.campaigns.tasks import run_chunk, start
from notifications.campaigns.templated import sends_outside_hours
from notifications.providers import PermanentFailure, Throttled
from notifications.providers.alibaba.errors import from_code
from notifications.send import deliver
from tests.alibaba_support import ALIBABA_SIGNATURE, fake_alibaba  # noqa: F401
from tests.test_alibaba_provider import WORKER, add_template, ali_app, message, queued  # noqa: F401

TEXT = "您的案件#1024已受理，志愿者会尽快联系您。"  # the ali_app fixture's SMS_900001
OTHER = "+8613800138999"

# (Code, Message Alibaba answered, the typed error, words its text must hold)
LIMITS = [
    ("isv.BUSINESS_LIMIT_CONTROL", "触发号码天级流控Permits:50", PermanentFailure, "24 hours"),
    ("isv.BUSINESS_LIMIT_CONTROL", "触发天级流控Permits:10", PermanentFailure, "24 hours"),
    ("isv.BUSINESS_LIMIT_CONTROL", "", PermanentFailure, "24 hours"),  # window not named
    ("isv.BUSINESS_LIMIT_CONTROL", "触发小时级流控Permits:5", PermanentFailure, "in an hour"),
    ("isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控Permits:1", Throttled, "retried shortly"),
    ("isv.DAY_LIMIT_CONTROL", "触发日发送限额", PermanentFailure, "daily sending cap"),
    ("isv.MONTH_LIMIT_CONTROL", "触发月发送限额", PermanentFailure, "monthly sending cap"),
]


@pytest.mark.parametrize(("code", "said", "kind", "words"), LIMITS)
def test_each_cap_is_typed_by_its_window(code: str, said: str, kind: type, words: str) -> None:
    error = from_code(code, message=said)
    assert type(error) is kind
    assert code in str(error) and words in str(error)
    assert said not in str(error) or not said  # Alibaba's own words are read, not copied


def test_a_number_at_its_daily_cap_fails_that_text_once_and_others_still_go(
        ali_app: Flask, fake_alibaba: FakeAlibaba) -> None:
    fake_alibaba.set_frequency_limits(per_day=1)
    first, capped, other = queued(TEXT), queued(TEXT), queued(TEXT, to=OTHER)
    assert deliver(first) is None
    assert deliver(capped) is None  # no retry scheduled: the cap lifts in hours
    assert deliver(other) is None
    assert message(first).status == MessageStatus.ACCEPTED
    row = message(capped)
    assert row.status == MessageStatus.FAILED
    assert row.error_message is not None
    assert "isv.BUSINESS_LIMIT_CONTROL" in row.error_message and "24 hours" in row.error_message
    assert "13800138000" not in row.error_message and "1024" not in row.error_message
    assert message(other).status == MessageStatus.ACCEPTED
    sends = [r for r in fake_alibaba.requests if r["action"] == "SendSms"]
    assert len(sends) == 3  # one refused request for the capped text, never hammered
    assert [m["phone"] for m in fake_alibaba.sent] == ["13800138000", "13800138999"]


def test_a_number_at_its_minute_cap_waits_and_is_not_failed(ali_app: Flask,
                                                          fake_alibaba: FakeAlibaba) -> None:
    # The provider hands Alibaba's Message on, so a minute window reads as a short wait.
    fake_alibaba.set_frequency_limits(per_minute=1)
    first, waiting = queued(TEXT), queued(TEXT)
    assert deliver(first) is None
    assert deliver(waiting) is not None  # a retry is scheduled
    assert message(waiting).status == MessageStatus.QUEUED
    assert [m["phone"] for m in fake_alibaba.sent] == ["13800138000"]


@pytest.mark.parametrize("code", ["isv.DAY_LIMIT_CONTROL", "isv.MONTH_LIMIT_CONTROL"])
def test_the_accounts_cap_fails_the_text_with_what_to_do(
        ali_app: Flask, fake_alibaba: FakeAlibaba, code: str) -> None:
    fake_alibaba.fail_next(code, action="SendSms")
    mid = queued(TEXT)
    assert deliver(mid) is None
    row = message(mid)
    assert row.status == MessageStatus.FAILED
    assert row.error_message is not None
    assert code in row.error_message and "administrator raises it" in row.error_message
    assert len([r for r in fake_alibaba.requests if r["action"] == "SendSms"]) == 1


def _campaign(fake: FakeAlibaba, template: str, kind: TemplateKind, quiet_hours: str,
              phones: list[str]) -> int:
    """A campaign to `phones` from an approved template, with these quiet hours."""
    add_template(fake, "SMS_610001", template, "campaign", kind)
    with get_db().begin() as s:
        contacts = [Contact(phone=p, name=f"工友{i}") for i, p in enumerate(phones)]
        s.add_all(contacts)
        s.flush()
        s.add_all(ContactTag(contact_id=c.id, tag="all") for c in contacts)
        return create_campaign(s, CampaignSpec(
            name="讲座", variants={"zh": template.replace("${name}", "{name}")},
            signature=ALIBABA_SIGNATURE, footer=False, audience=Audience(tags=["all"]),
            quiet_hours=quiet_hours)).id


NOTICE = "${name}，您的工资清欠登记已更新，请留意热线短信。"


def test_a_capped_recipient_fails_and_the_campaign_finishes(
        ali_app: Flask, fake_alibaba: FakeAlibaba) -> None:
    phones = ["+8613900000001", WORKER, "+8613900000003"]
    cid = _campaign(fake_alibaba, NOTICE, TemplateKind.NOTIFICATION, "00:00-00:00", phones)
    fake_alibaba.set_frequency_limits(per_day=1)
    # That number's one text of this template today, sent before the campaign.
    assert deliver(queued(NOTICE.replace("${name}", "工友9"))) is None
    control.request_start(cid)
    start(cid)  # the start task, in-process: the recipients are written
    for _ in range(10):  # chunks until nothing is left (a stalled campaign would loop here)
        if run_chunk(cid) is None:
            break
    with get_db().begin() as s:
        rows = {phone: status for phone, status in s.execute(
            select(Recipient.phone, Recipient.status))}
        reason = s.scalar(select(Recipient.error_message).where(Recipient.phone == WORKER))
        status = s.scalar(select(Campaign.status).where(Campaign.id == cid))
    assert rows == {"+8613900000001": RecipientStatus.ACCEPTED,
                    WORKER: RecipientStatus.FAILED, "+8613900000003": RecipientStatus.ACCEPTED}
    assert reason is not None and "24 hours" in reason
    assert status == CampaignStatus.DONE


# (quiet hours, sends outside 08:00-21:00)
WINDOWS = [("21:00-08:00", False), ("20:00-09:00", False), ("20:30-08:30", False),
           ("00:00-00:00", True), ("22:00-08:00", True), ("21:00-07:30", True),
           ("23:00-06:00", True), ("09:00-17:00", True), ("21:00-21:00", True)]


@pytest.mark.parametrize(("quiet", "outside"), WINDOWS)
def test_quiet_hours_against_the_promotional_sending_hours(quiet: str, outside: bool) -> None:
    start_at, end_at = quiet.split("-")
    assert sends_outside_hours(start_at, end_at) is outside


PROMO = "${name}，本周六下午服务站有免费劳动法咨询，欢迎前来。拒收请回复R"


@pytest.mark.parametrize(("quiet", "refused"), [("00:00-00:00", True), ("22:00-07:00", True),
                                                ("21:00-08:00", False), ("20:00-09:00", False)])
def test_a_promotional_campaign_cannot_send_outside_sending_hours(
        ali_app: Flask, fake_alibaba: FakeAlibaba, quiet: str, refused: bool) -> None:
    cid = _campaign(fake_alibaba, PROMO, TemplateKind.PROMOTIONAL, quiet, ["+8613900000001"])
    with get_db().begin() as s:
        campaign = s.get(Campaign, cid)
        assert campaign is not None
        problems = check_campaign(s, campaign)
    hours = [p for p in problems if "promotional template" in p]
    assert bool(hours) is refused, problems
    if refused:
        assert f"({quiet})" in hours[0] and "--quiet-hours 21:00-08:00" in hours[0]
        with pytest.raises(CampaignNotReady):
            control.request_start(cid)


def test_a_notification_campaign_may_send_at_any_hour(
        ali_app: Flask, fake_alibaba: FakeAlibaba) -> None:
    cid = _campaign(fake_alibaba, NOTICE, TemplateKind.NOTIFICATION, "00:00-00:00",
                    ["+8613900000001"])
    with get_db().begin() as s:
        campaign = s.get(Campaign, cid)
        assert campaign is not None
        assert check_campaign(s, campaign) == []
