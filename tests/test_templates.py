"""Carrier templates: every text the hotline sends converts to a template and matches back with
the right parameters; the carrier's content rules; coverage; what a relay becomes."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from hotline.infra.db import get_db
from hotline.replies import offer_text
from ivr_flows.engine import FlowState, Turn
from ivr_flows.loader import default_flow
from ivr_flows.sms import compose_sms
from models import Case, Organisation, SmsTemplate, TemplateApproval, TemplateKind
from notifications.template_rules import (
    MAX_VARIABLE_CHARS,
    check_params,
    check_signature,
    check_template,
)
from notifications.templates import (
    FREE_TEXT,
    PARAMETER,
    SAMPLE_VALUES,
    Approved,
    NoTemplate,
    deliverable_body,
    hotline_texts,
    literal_length,
    match_body,
    match_template,
    param_name,
    template_text,
)
from notifications.templates import coverage as template_coverage
from tests.test_flow_engine import CONFIRMATIONS, Confirm, answers_in
from tests.test_routing_support import add_case

FIXED = {"hotline": "01012345678"}
SIGNATURE = "工友热线"


def register(texts: list[Any], approval: TemplateApproval = TemplateApproval.APPROVED,
             organisation_id: int | None = None, prefix: str = "SMS_") -> dict[str, str]:
    """Register each hotline text as a template; return code by (purpose, language)."""
    codes = {}
    with get_db().begin() as s:
        for i, item in enumerate(texts):
            code = f"{prefix}{i:03d}"
            s.add(SmsTemplate(provider="alibaba", code=code, purpose=item.purpose,
                              kind=item.kind, text=template_text(item.text, FIXED),
                              signature=SIGNATURE, approval=approval,
                              organisation_id=organisation_id))
            codes[f"{item.purpose}/{item.language}"] = code
    return codes


@pytest.mark.parametrize(("reply", "template"), [
    ("案件#{number}已分配给您，请尽快联系当事人。", "案件#${number}已分配给您，请尽快联系当事人。"),
    ("工友热线：案件#{number}由{source}转来：{note}",
     "工友热线：案件#${number}由${source}转来：${note}"),
    ("Cannot read the amount {text!r}; write e.g. DONE {number} 12000",
     "Cannot read the amount '${text}'; write e.g. DONE ${number} 12000"),
    ("braces {{as typed}} stay: {number}", "braces {as typed} stay: ${number}"),
    ("record {id} of {0}", "record ${id_value} of ${p0}"),
    ("请致电热线{hotline}。", "请致电热线01012345678。"),
    ("好的，用中文。", "好的，用中文。"),
])
def test_reply_text_converts_to_carrier_syntax(reply: str, template: str) -> None:
    assert template_text(reply, FIXED) == template


def test_a_literal_dollar_brace_is_refused_not_turned_into_a_variable() -> None:
    with pytest.raises(ValueError, match="literal"):
        template_text("价格 ${{number}}")


@pytest.mark.parametrize(("field", "name"), [
    ("number", "number"), ("id", "id_value"), ("site", "site_value"), ("0", "p0"),
    ("a.b", "a_b"),
])
def test_parameter_names_follow_the_carrier_rules(field: str, name: str) -> None:
    assert param_name(field) == name


def test_every_text_the_hotline_sends_round_trips(app: Flask) -> None:
    texts = hotline_texts(include_free_text=True)
    assert {t.purpose for t in texts} >= {"case_opened", "offer", "relay_notice", "survey",
                                          "relay_to_worker", "staff_collective", "about_us"}
    assert not {t.purpose for t in texts} & {"bridge_connecting", "campaign_footer"}
    codes = register(texts)
    with get_db().begin() as s:
        for item in texts:
            sample = item.sample(FIXED)
            found = match_template(s, "alibaba", sample)
            expected = {param_name(f): SAMPLE_VALUES[f] for f in item.fields() if f not in FIXED}
            assert (found.code, found.params) == (codes[f"{item.purpose}/{item.language}"],
                                                  expected), sample
            # A body carrying the registered 【签名】 matches the same template.
            assert match_template(s, "alibaba", f"【{SIGNATURE}】{sample}").code == found.code


def test_real_offers_match_the_offer_template(app: Flask) -> None:
    codes = register([t for t in hotline_texts() if t.purpose == "offer"])
    case_id, number = add_case(amount_owed=12000, people_affected=3, work_city="深圳市")
    with get_db().begin() as s:
        case = s.get(Case, case_id)
        assert case is not None
        zh, en = offer_text(case, "zh"), offer_text(case, "en")
        found = match_template(s, "alibaba", zh)
        assert found.code == codes["offer/zh"]
        assert found.params == {"number": str(number), "details": "欠薪 深圳市 3人 约¥12000"}
        assert match_template(s, "alibaba", en).params["details"].startswith("unpaid wages")


@pytest.mark.parametrize(("text", "kind", "expect"), [
    ("工友热线：已收到您的求助，案件编号${number}。志愿者会尽快联系您。", "notification", []),
    ("您的案件${number}已办结，请回复1-5给服务打分。", "notification", []),
    ("周六上午在服务站有免费讲座，欢迎参加。拒收请回复R", "promotional", []),
    ("${name}${number}", "notification", ["error: a template of only variables"]),
    ("案件${number}${status}", "notification", ["error: two variables joined"]),
    ("案件${number}，${status}", "notification", ["warning: two variables with only"]),
    ("周六上午在服务站有免费讲座，欢迎参加。", "promotional",
     ["error: a promotional template must end with 拒收请回复R"]),
    ("您的案件${number}已受理。拒收请回复R", "notification",
     ["error: a notification template must not carry 拒收请回复R"]),
    ("案件${number}进度见 https://hotline.example.cn/c", "notification",
     ["error: the link https://hotline.example.cn/c is not on a registered domain"]),
    ("进度见 www.${web}.cn 查询", "notification", ["error: a link's address may not be"]),
    ("案件${id}已受理", "notification", ["error: variable ${id}: the carrier refuses"]),
    ("案件${1abc}已受理", "notification", ["error: variable ${1abc}: a name starts"]),
    ("【工友热线】您的案件${number}已受理", "notification", ["error: 【】 are for the signature"]),
    ("欠薪约¥${amount}，已登记", "notification", ["warning: the symbols ¥"]),
    ("工友维权热线：案件${number}已受理", "notification",
     ["warning: '维权' reads as legal rights"]),
    ("案" * 501, "notification", ["error: the template has 501 characters"]),
    ("", "notification", ["error: the template is empty"]),
])
def test_content_rules(text: str, kind: str, expect: list[str]) -> None:
    found = [str(f) for f in check_template(text, TemplateKind(kind))]
    assert len(found) == len(expect), found
    for line, start in zip(found, expect, strict=True):
        assert line.startswith(start), found


def test_a_registered_domain_may_be_linked() -> None:
    text = "案件${number}进度见 https://hotline.example.cn/c"
    assert check_template(text, TemplateKind.NOTIFICATION, domains=["example.cn"]) == []


@pytest.mark.parametrize(("signature", "ok"), [
    ("工友热线", True), ("工友", True), ("工", False), ("【工友热线】", False),
    ("固始县外来务工人员服务中心", False), ("固始县务工人员服务中心", True),
])
def test_signature_length(signature: str, ok: bool) -> None:
    assert (check_signature(signature) == []) is ok


def test_parameter_values_longer_than_the_carrier_takes() -> None:
    assert check_params({"number": "1024", "text": "明" * 36}, TemplateKind.NOTIFICATION) == [
        "text"]
    assert check_params({"text": "明" * 35}, TemplateKind.NOTIFICATION) == []


def test_no_draft_of_a_hotline_text_breaks_a_rule() -> None:
    for item in hotline_texts(include_free_text=True):
        found = check_template(template_text(item.text, FIXED), item.kind, SIGNATURE)
        assert not [f for f in found if f.severity == "error"], (item.purpose, found)


def test_coverage_counts_only_approved_templates_of_the_office(app: Flask) -> None:
    texts = hotline_texts()
    with get_db().begin() as s:
        assert len(template_coverage(s, "alibaba", fixed=FIXED)) == len(texts)
        office = Organisation(name="固始县服务站")
        s.add(office)
        s.flush()
        office_id = office.id
    zh = [t for t in texts if t.language == "zh"]
    register(zh[:3])
    register(zh[3:5], TemplateApproval.PENDING, prefix="P_")
    register(zh[5:6], TemplateApproval.REJECTED, prefix="R_")
    register(zh[6:7], organisation_id=office_id, prefix="O_")
    with get_db().begin() as s:
        shared = {(g.purpose, g.language) for g in template_coverage(s, "alibaba", fixed=FIXED)}
        own = {(g.purpose, g.language) for g in template_coverage(s, "alibaba", office_id,
                                                                  fixed=FIXED)}
        assert len(template_coverage(s, "tencent", fixed=FIXED)) == len(texts)
    covered = {(t.purpose, t.language) for t in zh[:3]}
    assert shared == {(t.purpose, t.language) for t in texts} - covered
    assert own == shared - {(zh[6].purpose, "zh")}


NOTICE = "工友热线：您有一条关于案件#1024的新消息，请致电热线01012345678。"
RELAY = "工友热线（案件1024）志愿者：{text}"


def test_a_relay_goes_as_written_only_when_a_template_carries_it(app: Flask) -> None:
    relays = [t for t in hotline_texts(include_free_text=True)
              if t.purpose in FREE_TEXT | {"relay_notice"} and t.language == "zh"]
    short, long = RELAY.format(text="明天上午十点给您打电话"), RELAY.format(text="明" * 40)
    with get_db().begin() as s:
        assert deliverable_body(s, "twilio", long, NOTICE).body == long  # Twilio: free text
        with pytest.raises(NoTemplate):
            deliverable_body(s, "alibaba", short, NOTICE)
    register([t for t in relays if t.purpose == "relay_notice"])
    with get_db().begin() as s:
        sent = deliverable_body(s, "alibaba", short, NOTICE)
        assert (sent.body, sent.fell_back) == (NOTICE, True)
    register([t for t in relays if t.purpose == "relay_to_worker"], prefix="F_")
    with get_db().begin() as s:
        assert deliverable_body(s, "alibaba", short, NOTICE).fell_back is False
        # 40 characters is more than a variable may carry: the notice goes instead.
        assert deliverable_body(s, "alibaba", long, NOTICE).body == NOTICE
        assert s.scalar(select(SmsTemplate.code).where(SmsTemplate.code == "F_000"))


# --- the intake's confirmation on templates registered before its answers carried units ---

MENU_ZH, MENU_EN = "回复数字：1正确 2重新填写", " Reply with a number: 1 correct, 2 start again"
# The confirmations as offices registered them when the prompt put the units around the
# answers ("欠${amount_owed}元"); the carrier approved these words and they cannot change.
REGISTERED_CONFIRMATIONS = [
    "您说的是：${category}，${work_place}，${employer}，欠${amount_owed}元，${months_unpaid}个月，"
    "${people_affected}，${still_employed}。" + MENU_ZH,
    "您说的是：${category}，${work_place}，${employer}，受伤日期${injured_on}，地点${injury_place}，"
    "${in_hospital}，${employer_pays_treatment}，${injury_claim_filed}。" + MENU_ZH,
    "您说的是：${category}，${work_place}，${employer}，辞退或合同到期日期${dismissed_on}，"
    "${written_contract}。" + MENU_ZH,
    "您说的是：${category}，${work_place}，${employer}，${insurance_kind}，"
    "${insurance_months}个月没交。" + MENU_ZH,
    "您说的是：${category}，${work_place}（${summary}）。" + MENU_ZH,
    "You said: ${category}, ${work_place}, ${employer}, ¥${amount_owed}, ${months_unpaid} months, "
    "${people_affected}, ${still_employed}." + MENU_EN,
    "You said: ${category}, ${work_place}, ${employer}, injured ${injured_on} at "
    "${injury_place}, ${in_hospital}, ${employer_pays_treatment}, ${injury_claim_filed}."
    + MENU_EN,
    "You said: ${category}, ${work_place}, ${employer}, ended ${dismissed_on}, "
    "${written_contract}." + MENU_EN,
    "You said: ${category}, ${work_place}, ${employer}, ${insurance_kind}, unpaid for "
    "${insurance_months} months." + MENU_EN,
    "You said: ${category}, ${work_place} (${summary})." + MENU_EN,
]
# Each Chinese one also registered after the lead a reply may start with (${intro}).
REGISTERED_CONFIRMATIONS += ["${intro}" + t for t in REGISTERED_CONFIRMATIONS if "您" in t]
LEAD = "工友热线：已收到，案件编号1001。"


def approved(texts: list[str], prefix: str) -> list[Approved]:
    """Templates as the send path tries them: the most literal words first."""
    rows = [Approved(code=f"{prefix}{i:03d}", text=text, signature=SIGNATURE,
                     kind=TemplateKind.NOTIFICATION, organisation_id=None)
            for i, text in enumerate(texts)]
    return sorted(rows, key=lambda t: -literal_length(t.text))


def carrier_confirmation(item: Confirm, language: str, lead: str) -> str:
    """The confirmation SMS as composed for a template carrier (each answer one variable)."""
    flow = default_flow()
    state = FlowState(node=item.node, language=language, answers=answers_in(item, language))
    return compose_sms(flow, state, Turn(waiting=flow.node(item.node)), 1001, lead,
                       limit=MAX_VARIABLE_CHARS)


def needs_new_template(item: Confirm, language: str) -> bool:
    """An English wages confirmation with the sum or the months not known: the registered
    text has '¥${amount_owed}, ${months_unpaid} months', which no words for 'not known' fit.
    Every contract confirmation: its words changed when a worker still there stopped being
    asked the day it ended (the registered text reads '辞退或合同到期日期${dismissed_on}'), so
    its new drafts must be registered."""
    if item.node == "confirm_contract":
        return True
    return language == "en" and item.node == "confirm_wages" and not (
        {"amount_owed", "months_unpaid"} <= set(item.answers))


@pytest.mark.parametrize("item", CONFIRMATIONS, ids=[c.name for c in CONFIRMATIONS])
@pytest.mark.parametrize("language,lead", [("zh", ""), ("zh", LEAD), ("en", "")],
                         ids=["zh", "zh after the lead", "en"])
def test_the_registered_confirmations_carry_what_is_not_known(item: Confirm, language: str,
                                                               lead: str) -> None:
    """Every Chinese confirmation, and every English one but a wages one with the sum or the
    months not known, still goes as the template the carrier approved; those few need the new
    English draft registered."""
    body = carrier_confirmation(item, language, lead)
    registered = approved(REGISTERED_CONFIRMATIONS, "OLD_")
    if needs_new_template(item, language):
        with pytest.raises(NoTemplate):
            match_body(registered, body)
        registered = approved([template_text(t.text, FIXED) for t in hotline_texts()
                               if t.purpose in (f"intake_{item.node}",
                                                f"intake_{item.node}_lead")
                               and t.language == language], "NEW_")
    found = match_body(registered, body)
    assert check_params(found.params, found.kind) == [], found.params
    text = next(t.text for t in registered if t.code == found.code)
    assert PARAMETER.sub(lambda m: found.params[m.group(1)], text) == body
