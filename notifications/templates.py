"""Carrier templates: which approved template carries a text the hotline is about to send.

A domestic Chinese SMS provider carries only templates it approved (`models.SmsTemplate`), with
named parameters; the hotline renders every text itself as it always has. A rendered body is
matched back to the approved template whose literal parts it contains, which yields the
template code and the parameter values, so no sending path needs to know about templates.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from models import Case, SmsTemplate, TemplateApproval, TemplateKind
from notifications.providers.base import PermanentFailure

PARAMETER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
# Parameters the hotline fills with a count or a case number: only digits, so a short template
# ("已记入案件${number}。") never swallows a longer text's words into its number.
NUMERIC_PARAMS = frozenset({"number", "lead", "days", "count"})
# A campaign body starts with its 【签名】; the carrier adds the registered one itself.
SIGNATURE_PREFIX = re.compile(r"^\s*【([^】]{1,20})】\s*")


class NoTemplate(PermanentFailure):
    """No approved template of this provider carries the text: it cannot be sent there."""


@dataclass(frozen=True)
class TemplateMatch:
    """An approved template and the parameter values that make it the text to send."""

    code: str
    params: dict[str, str]
    signature: str
    kind: TemplateKind


def parameters(text: str) -> list[str]:
    """The ${name} parameters of a template text, in order of first appearance."""
    return list(dict.fromkeys(PARAMETER.findall(text)))


@lru_cache(maxsize=4096)  # every send tries each approved template (hundreds with the intake)
def pattern(text: str) -> re.Pattern[str]:
    """A regex that matches any rendering of a template text and captures its parameters."""
    out, seen, at = [], set(), 0
    for m in PARAMETER.finditer(text):
        out.append(re.escape(text[at:m.start()]))
        name = m.group(1)
        # A parameter used twice must render the same both times.
        value = r"\d+" if name in NUMERIC_PARAMS else ".+?"
        out.append(f"(?P={name})" if name in seen else f"(?P<{name}>{value})")
        seen.add(name)
        at = m.end()
    out.append(re.escape(text[at:]))
    return re.compile("".join(out), re.DOTALL)


def literal_length(text: str) -> int:
    """Characters of a template that are not parameters (more literal text = more specific)."""
    return len(PARAMETER.sub("", text))


def candidates(session: Session, provider: str, organisation_id: int | None
               ) -> list[SmsTemplate]:
    """Approved templates of `provider` this organisation may use, most specific first."""
    scope: ColumnElement[bool] = SmsTemplate.organisation_id.is_(None)
    if organisation_id is not None:
        scope = or_(scope, SmsTemplate.organisation_id == organisation_id)
    rows = session.scalars(select(SmsTemplate).where(
        SmsTemplate.provider == provider, SmsTemplate.approval == TemplateApproval.APPROVED,
        scope)).all()
    # An office's own template wins over a shared one, then the more literal text wins.
    return sorted(rows, key=lambda t: (t.organisation_id is None, -literal_length(t.text)))


def match_body(templates: list[SmsTemplate], body: str) -> TemplateMatch:
    """The first template whose text `body` is a rendering of; NoTemplate if none is."""
    text = body.strip()
    signed = SIGNATURE_PREFIX.match(text)
    for template in templates:
        candidate = text
        if signed and signed.group(1) == template.signature:
            candidate = text[signed.end():]
        found = pattern(template.text).fullmatch(candidate)
        if found:
            return TemplateMatch(code=template.code, params=found.groupdict(),
                                 signature=template.signature, kind=template.kind)
    raise NoTemplate("no approved template carries this text")


def match_template(session: Session, provider: str, body: str,
                   organisation_id: int | None = None) -> TemplateMatch:
    """The approved template of `provider` that carries `body`; NoTemplate if none does."""
    return match_body(candidates(session, provider, organisation_id), body)


# --- the hotline's texts as templates -------------------------------------------------------

# Texts the hotline sends that are not in hotline.replies.TEXTS, in the same str.format syntax.
# The offer is assembled from optional parts (hotline.replies.offer_text): everything between
# the case number and the answer codes travels as one parameter.
EXTRA_TEXTS: dict[str, dict[str, str]] = {
    "offer": {
        "zh": "新案件 #{number} {details} 回复 Y{number} 接受 N{number} 拒绝",
        "en": "New case #{number} {details} Reply Y{number} to accept, N{number} to decline",
    },
    # What a worker gets instead of a relayed free text the carrier cannot carry.
    "relay_notice": {
        "zh": "工友热线：您有一条关于案件#{number}的新消息，请致电热线{hotline}。",
        "en": "Hotline: you have a new message about case #{number}. "
              "Please call the hotline on {hotline}.",
    },
    # ...and what the volunteer is told then.
    "relay_notice_sent": {
        "zh": "短信平台只能发送审核过的固定内容，您写的话无法原样发给工友。"
              "已短信通知#{number}工友：有新消息，请致电热线。",
        "en": "The SMS carrier only sends approved fixed texts, so your words could not go to "
              "the worker as written. The worker of #{number} was texted to call the hotline.",
    },
    # ...or, when the carrier has no approved template for either, that nothing was sent.
    "relay_refused": {
        "zh": "短信平台还没有审核通过的模板，消息没有发给#{number}工友，请联系工作人员。",
        "en": "The SMS carrier has no approved template for this yet; nothing was sent to the "
              "worker of #{number}. Please tell the staff.",
    },
}
# Said by voice (TwiML <Say>) or only part of another text: never an SMS of its own.
NOT_SMS = frozenset({"bridge_connecting", "bridge_refused", "campaign_footer"})
# Free words of a volunteer or staff member: no carrier approves them; relay_notice stands in.
FREE_TEXT = frozenset({"relay_to_worker", "staff_to_worker"})
# Fields filled in when the template is drafted, not sent as parameters: the reviewer sees
# the hotline's own number, and contact details inside variables are refused.
FIXED_FIELDS = ("hotline",)
SAMPLE_VALUES = {
    "number": "1024", "lead": "1001", "text": "明天上午十点给您打电话", "verb": "Y",
    "outcome": "已解决", "days": "7", "reason": "工友要求人工服务", "count": "5",
    "employer": "深圳某建筑公司", "source": "固始县服务站", "note": "工友已回老家",
    "status": "已结案", "category": "欠薪", "state": "处理中", "title": "劳动仲裁时效",
    "due": "2027-03-01", "details": "欠薪 深圳市 约¥12000", "hotline": "01012345678",
    # The SMS intake's lead and the answers a confirmation reads back (notifications/
    # intake_templates.py).
    "intro": "工友热线：已收到，案件编号1024。", "work_place": "广东深圳", "amount_owed": "12000",
    "months_unpaid": "3", "people_affected": "5人", "still_employed": "还在那里做",
    "injured_on": "2026年11月5日", "injury_place": "车间", "in_hospital": "在住院",
    "employer_pays_treatment": "老板不出医药费", "injury_claim_filed": "未申请工伤认定",
    "dismissed_on": "2026年11月1日", "written_contract": "没签书面合同",
    "insurance_kind": "养老保险", "insurance_months": "12", "summary": "房东不退押金",
}
PROVIDER_OPT_OUT = {"alibaba": "拒收请回复R"}
TEMPLATE_PROVIDERS = frozenset(PROVIDER_OPT_OUT)
_FORMATTER = string.Formatter()


def requires_templates(provider: str) -> bool:
    """True for carriers that send only approved templates (domestic Chinese providers)."""
    return provider in TEMPLATE_PROVIDERS


def param_name(field: str) -> str:
    """A str.format field as a carrier variable name (letter first; reserved names avoided)."""
    name = re.sub(r"\W", "_", field)
    if not name or not name[0].isalpha():
        name = "p" + name
    return f"{name}_value" if name.lower() in {"email", "mobile", "id", "nick", "site"} else name


def template_text(reply: str, fixed: Mapping[str, str] | None = None) -> str:
    """A reply text written for str.format as a carrier template: {number} → ${number},
    {{ → {, {text!r} → '${text}'; fields in `fixed` are written in as plain text."""
    fixed = fixed or {}
    out: list[str] = []
    for literal, field, spec, conversion in _FORMATTER.parse(reply):
        if "${" in literal:
            raise ValueError(f"the text has a literal ${{ that would read as a variable: "
                             f"{literal!r}")
        out.append(literal)
        if field is None:
            continue
        if field in fixed:
            out.append(_FORMATTER.format_field(_FORMATTER.convert_field(
                fixed[field], conversion), spec or ""))
            continue
        variable = "${" + param_name(field) + "}"
        out.append(f"'{variable}'" if conversion == "r" else variable)
    return "".join(out)


@dataclass(frozen=True)
class HotlineText:
    """One text the hotline sends by SMS, in one language, as the reply catalogue has it."""

    purpose: str
    language: str
    text: str  # str.format syntax
    kind: TemplateKind = TemplateKind.NOTIFICATION

    def fields(self) -> list[str]:
        """The str.format fields, in order of first use."""
        return list(dict.fromkeys(f for _, f, _, _ in _FORMATTER.parse(self.text) if f))

    def sample(self, fixed: Mapping[str, str] | None = None) -> str:
        """The text as a worker or volunteer would get it, with plausible values."""
        return self.text.format(**{**SAMPLE_VALUES, **(fixed or {})})


def hotline_texts(include_free_text: bool = False) -> list[HotlineText]:
    """Every text the hotline sends by SMS (both languages), in catalogue order: the replies,
    then every reply the SMS intake composes from the flow file (its questions, with a lead)."""
    from hotline.replies import TEXTS
    from ivr_flows.loader import default_flow
    from notifications.intake_templates import intake_formats

    out = []
    for purpose, variants in {**TEXTS, **EXTRA_TEXTS}.items():
        if purpose in NOT_SMS or (purpose in FREE_TEXT and not include_free_text):
            continue
        out += [HotlineText(purpose, lang, text) for lang, text in variants.items()]
    return out + [HotlineText(purpose, lang, text)
                  for purpose, lang, text in intake_formats(default_flow())]


def say_extra(purpose: str, lang: str, **fields: object) -> str:
    """One of EXTRA_TEXTS in `lang` (Chinese when it has none) with its fields filled in."""
    variants = EXTRA_TEXTS[purpose]
    return variants.get(lang, variants["zh"]).format(**fields)


def hotline_display_number(e164: str) -> str:
    """The hotline's number as a worker dials it inside China (national form, no spaces)."""
    import phonenumbers

    try:
        parsed = phonenumbers.parse(e164, "CN")
    except phonenumbers.NumberParseException:
        return e164
    national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return re.sub(r"[\s-]", "", national)


# --- coverage ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Gap:
    """A text the hotline sends that no approved template of the provider carries."""

    purpose: str
    language: str
    kind: TemplateKind
    sample: str


def coverage(session: Session, provider: str, organisation_id: int | None = None,
             fixed: Mapping[str, str] | None = None) -> list[Gap]:
    """The hotline's texts (by purpose and language) that no approved template carries: each
    is rendered with sample values and matched as it would be at send time."""
    templates = candidates(session, provider, organisation_id)
    fixed = fixed if fixed is not None else current_fixed()
    gaps = []
    for item in hotline_texts():
        sample = item.sample(fixed)
        try:
            match_body(templates, sample)
        except NoTemplate:
            gaps.append(Gap(item.purpose, item.language, item.kind, sample))
    return gaps


def current_fixed() -> dict[str, str]:
    """The FIXED_FIELDS values of the running app (the hotline number as dialled in China)."""
    from flask import current_app, has_app_context

    if not has_app_context():
        return {"hotline": SAMPLE_VALUES["hotline"]}
    return {"hotline": hotline_display_number(current_app.config["HOTLINE_NUMBER"])}


# --- sending what the carrier can carry -----------------------------------------------------

@dataclass(frozen=True)
class Deliverable:
    """The body to send, and whether it is the fallback standing in for the one asked."""

    body: str
    fell_back: bool = False


def carried(session: Session, provider: str, body: str, organisation_id: int | None) -> bool:
    """True when an approved template carries `body` with parameters the carrier accepts."""
    from notifications.template_rules import check_params

    try:
        found = match_template(session, provider, body, organisation_id)
    except NoTemplate:
        return False
    return not check_params(found.params, found.kind)


def deliverable_body(session: Session, provider: str, body: str, fallback: str,
                     organisation_id: int | None = None) -> Deliverable:
    """`body` if the provider can send it, else `fallback` (a templated notice); NoTemplate
    when neither can go, so the caller refuses instead of queueing a text that will fail."""
    if not requires_templates(provider) or carried(session, provider, body, organisation_id):
        return Deliverable(body)
    if not carried(session, provider, fallback, organisation_id):
        raise NoTemplate(f"no approved {provider} template carries this text or its fallback "
                         "(hotline templates list shows what is missing)")
    return Deliverable(fallback, fell_back=True)


def configured_provider() -> str:
    """The provider name the running app sends through (HOTLINE_PROVIDER)."""
    from flask import current_app

    return str(current_app.config["HOTLINE_PROVIDER"])


def relay_body(session: Session, case: Case, body: str) -> Deliverable:
    """What a volunteer's (or staff member's) relayed `body` to the case's worker becomes on
    the configured provider: itself, or the relay_notice asking the worker to call."""
    notice = say_extra("relay_notice", case.language or "zh", number=case.number,
                       **current_fixed())
    return deliverable_body(session, configured_provider(), body, notice, case.organisation_id)


def relay_outcome(session: Session, case: Case, text: str, key: str = "relay_to_worker") -> str:
    """How a volunteer's (key staff_to_worker: a staff member's) words `text` would reach the
    worker: "sent" as written, "notice" (relay_notice instead) or "refused" (no approved
    template carries either)."""
    from hotline.replies import say

    relayed = say(key, case.language, number=case.number, text=text)
    try:
        return "notice" if relay_body(session, case, relayed).fell_back else "sent"
    except NoTemplate:
        return "refused"


def relay_reply(session: Session, case: Case, text: str, lang: str) -> tuple[str, bool]:
    """The volunteer's answer to 'R1024 text' and whether the relay can be queued at all."""
    from hotline.replies import say

    outcome = relay_outcome(session, case, text)
    if outcome == "refused":
        return say_extra("relay_refused", lang, number=case.number), False
    if outcome == "notice":
        return say_extra("relay_notice_sent", lang, number=case.number), True
    return say("relay_sent", lang, number=case.number), True

