"""Approved templates are cached per process: a send does not load them again each time, and an
approval, rejection or edit (committed anywhere: it moves the version token in Redis) reaches
every process's next send."""
# ruff: noqa: F811  (pytest fixtures imported from a sibling module are parameters here)

from __future__ import annotations

import pytest
import redis as redis_lib
from flask import Flask
from sqlalchemy import create_engine, select, text, update

from devtools.fake_alibaba.server import FakeAlibaba
from hotline.infra.db import get_db
from models import SmsTemplate, TemplateApproval, TemplateKind
from notifications.templates import (
    VERSION_KEY,
    NoTemplate,
    approved_templates,
    match_template,
)
from tests.alibaba_support import ALIBABA_SIGNATURE, fake_alibaba  # noqa: F401
from tests.test_alibaba_provider import ali_app  # noqa: F401

NOTICE = "${name}，您的工资清欠登记已更新，请留意热线短信。"
# Bodies as the hotline renders them: names with typos, full-width letters, emoji, numerals.
BODIES = ["王伟，您的工资清欠登记已更新，请留意热线短信。",
          "Ｗａｎｇ，您的工资清欠登记已更新，请留意热线短信。",
          "阿强😊，您的工资清欠登记已更新，请留意热线短信。",
          "老二十一，您的工资清欠登记已更新，请留意热线短信。"]


def pending(code: str, body: str) -> None:
    """A template the carrier has not approved yet."""
    with get_db().begin() as s:
        s.add(SmsTemplate(provider="alibaba", code=code, purpose="campaign",
                          kind=TemplateKind.NOTIFICATION, text=body,
                          signature=ALIBABA_SIGNATURE, approval=TemplateApproval.PENDING))


def match(body: str) -> str:
    """The code of the approved template that carries `body`."""
    with get_db().begin() as s:
        return match_template(s, "alibaba", body).code


def test_approving_rejecting_and_editing_reach_the_next_send(ali_app: Flask) -> None:
    pending("SMS_800001", NOTICE)
    with pytest.raises(NoTemplate):
        match(BODIES[0])
    with get_db().begin() as s:  # staff record the carrier's approval
        s.scalars(select(SmsTemplate).where(SmsTemplate.code == "SMS_800001")).one(
            ).approval = TemplateApproval.APPROVED
    assert {match(b) for b in BODIES} == {"SMS_800001"}
    with get_db().begin() as s:  # edited: the old wording no longer matches
        s.execute(update(SmsTemplate).where(SmsTemplate.code == "SMS_800001").values(
            text="${name}，您的工资清欠登记有新进展。"))
    with pytest.raises(NoTemplate):
        match(BODIES[0])
    assert match("王伟，您的工资清欠登记有新进展。") == "SMS_800001"
    with get_db().begin() as s:  # the carrier withdrew it
        s.scalars(select(SmsTemplate).where(SmsTemplate.code == "SMS_800001")).one(
            ).approval = TemplateApproval.REJECTED
    with pytest.raises(NoTemplate):
        match("王伟，您的工资清欠登记有新进展。")


def test_a_change_in_another_process_is_seen_once_its_token_moves(
        ali_app: Flask, redis_client: redis_lib.Redis) -> None:
    pending("SMS_800002", NOTICE)
    with get_db().begin() as s:
        s.execute(update(SmsTemplate).values(approval=TemplateApproval.APPROVED))
    with get_db().begin() as s:
        first = approved_templates(s, "alibaba", None)
    with get_db().begin() as s:
        assert approved_templates(s, "alibaba", None) is first  # cached: nothing loaded again
    # Another process rejects it: its commit is not seen here until the token moves.
    engine = create_engine(ali_app.config["DATABASE_URL"])
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE sms_templates SET approval = 'rejected' "
                              "WHERE code = 'SMS_800002'"))
    finally:
        engine.dispose()
    assert match(BODIES[1]) == "SMS_800002"  # the cached copy, for at most CACHE_SECONDS
    redis_client.set(VERSION_KEY, "moved-by-the-other-process")  # what its commit does
    with pytest.raises(NoTemplate):
        match(BODIES[1])


def test_a_rolled_back_edit_moves_nothing(ali_app: Flask, redis_client: redis_lib.Redis,
                                          fake_alibaba: FakeAlibaba) -> None:
    pending("SMS_800003", NOTICE)
    with get_db().begin() as s:
        s.execute(update(SmsTemplate).values(approval=TemplateApproval.APPROVED))
    assert match(BODIES[2]) == "SMS_800003"
    token = redis_client.get(VERSION_KEY)
    with pytest.raises(RuntimeError), get_db().begin() as s:
        s.scalars(select(SmsTemplate)).first().text = "改了又撤销"  # type: ignore[union-attr]
        s.flush()
        raise RuntimeError("the edit is abandoned")
    assert redis_client.get(VERSION_KEY) == token
    assert match(BODIES[3]) == "SMS_800003"
