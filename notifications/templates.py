"""Carrier templates: which approved template carries a text the hotline is about to send.

A domestic Chinese SMS provider carries only templates it approved (`models.SmsTemplate`), with
named parameters; the hotline renders every text itself as it always has. A rendered body is
matched back to the approved template whose literal parts it contains, which yields the
template code and the parameter values, so no sending path needs to know about templates.

Approved templates are cached per process (`candidates`), so a send does not load them from the
database each time. The cache is checked against a version token in Redis that every commit
writing an SmsTemplate (the CLI, the web page, a test) replaces, so every process sees an
approval, rejection or edit on its next send; an entry is also reloaded after CACHE_SECONDS,
which bounds staleness when the token cannot be read (Redis down, a thread of a process that has
not yet met the app's Redis, a row changed by hand in SQL). Redis rather than a database
counter: no schema change, and a GET is far cheaper than the queries it saves; the database
stays the truth.
"""

from __future__ import annotations

import logging
import re
import string
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import phonenumbers
import redis
from flask import current_app, has_app_context
from sqlalchemy import ColumnElement, event, or_, select
from sqlalchemy.orm import Session

from hotline.replies import TEXTS, ByLanguage, offer_format, say
from ivr_flows.loader import default_flow
from models import Case, SmsTemplate, TemplateApproval, TemplateKind
from notifications.intake_templates import intake_formats
from notifications.providers import requires_templates
from notifications.providers.base import PermanentFailure
from notifications.template_rules import check_params
from notifications.throttle import app_redis

PARAMETER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
# Parameters the hotline fills with a count or a case number: only digits, so a short template
# ("已记入案件${number}。") never swallows a longer text's words into its number.
NUMERIC_PARAMS = frozenset({"number", "lead", "days", "count"})
# A campaign body starts with its 【签名】; the carrier adds the registered one itself.
SIGNATURE_PREFIX = re.compile(r"^\s*【([^】]{1,20})】\s*")
log = logging.getLogger(__name__)
VERSION_KEY = "hotline:sms_templates:version"
CACHE_SECONDS = 60.0  # the longest a cached entry is used without a version check passing


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


@dataclass(frozen=True)
class Approved:
    """An approved template as cached: the fields matching and sending read, no ORM state."""

    code: str
    text: str
    signature: str
    kind: TemplateKind
    organisation_id: int | None


@dataclass(frozen=True)
class _Entry:
    templates: list[Approved]
    version: str | None
    loaded: float  # time.monotonic()


_cache: dict[tuple[str, str, int | None], _Entry] = {}
_cache_lock = threading.Lock()


def candidates(session: Session, provider: str, organisation_id: int | None
               ) -> list[SmsTemplate]:
    """Approved templates of `provider` this organisation may use, most specific first (the
    rows themselves, uncached: for pages and checks; sends use `approved_templates`)."""
    scope: ColumnElement[bool] = SmsTemplate.organisation_id.is_(None)
    if organisation_id is not None:
        scope = or_(scope, SmsTemplate.organisation_id == organisation_id)
    rows = session.scalars(select(SmsTemplate).where(
        SmsTemplate.provider == provider, SmsTemplate.approval == TemplateApproval.APPROVED,
        scope)).all()
    # An office's own template wins over a shared one, then the more literal text wins.
    return sorted(rows, key=lambda t: (t.organisation_id is None, -literal_length(t.text)))


# The app's Redis by database URL, for sends in threads without an app context.
_stores: dict[str, redis.Redis] = {}


def _version_store(database: str | None = None) -> redis.Redis | None:
    if not has_app_context():
        return _stores.get(database) if database else None
    store = app_redis()
    if database:
        _stores[database] = store
    return store


def template_version(database: str | None = None) -> str | None:
    """The current templates version token (made on first read); None when unknown."""
    store = _version_store(database)
    if store is None:
        return None
    try:
        raw = store.get(VERSION_KEY)
        if raw is None:
            token = uuid.uuid4().hex
            store.set(VERSION_KEY, token, nx=True)
            raw = store.get(VERSION_KEY)
    except redis.RedisError:
        return None  # the database is the truth: reload, and cache only for CACHE_SECONDS
    return raw.decode() if isinstance(raw, bytes) else (str(raw) if raw else None)


def templates_changed() -> None:
    """Make every process reload approved templates on its next send."""
    with _cache_lock:
        _cache.clear()
    store = _version_store()
    if store is None:
        return
    try:
        store.set(VERSION_KEY, uuid.uuid4().hex)
    except redis.RedisError:
        log.warning("template version not bumped (Redis unreachable); other processes "
                    "reload within %.0f s", CACHE_SECONDS)


def approved_templates(session: Session, provider: str, organisation_id: int | None
                       ) -> list[Approved]:
    """`candidates` as sends use them: cached per process and database, reloaded when the
    version token moved (an approval, rejection or edit anywhere) or after CACHE_SECONDS."""
    database = str(session.get_bind().engine.url)
    key = (database, provider, organisation_id)
    version = template_version(database)  # read before loading: a change meanwhile moves it
    now = time.monotonic()
    with _cache_lock:
        entry = _cache.get(key)
    if entry is not None and now - entry.loaded < CACHE_SECONDS and (
            version is None or version == entry.version):
        return entry.templates
    templates = [Approved(t.code, t.text, t.signature, t.kind, t.organisation_id)
                 for t in candidates(session, provider, organisation_id)]
    with _cache_lock:
        _cache[key] = _Entry(templates, version, now)
    return templates


@event.listens_for(Session, "after_flush")
def _note_template_writes(session: Session, _context: Any) -> None:
    if any(isinstance(obj, SmsTemplate)
           for obj in (*session.new, *session.dirty, *session.deleted)):
        session.info["sms_templates_changed"] = True


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_template_writes(state: Any) -> None:
    # update(SmsTemplate)... run through a session changes rows no flush sees.
    if (state.is_update or state.is_delete or state.is_insert) and any(
            mapper.class_ is SmsTemplate for mapper in state.all_mappers):
        state.session.info["sms_templates_changed"] = True


@event.listens_for(Session, "after_commit")
def _bump_after_commit(session: Session) -> None:
    # After commit, never before: a process reloading on the new token must see the change.
    if session.info.pop("sms_templates_changed", False):
        templates_changed()


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop("sms_templates_changed", None)


def match_body(templates: Sequence[Approved | SmsTemplate], body: str) -> TemplateMatch:
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
    return match_body(approved_templates(session, provider, organisation_id), body)


# --- the hotline's texts as templates -------------------------------------------------------

# Texts the hotline sends that are not one reply of hotline.replies.TEXTS: the offer, made
# of optional parts, whose template carries everything between the case number and the
# answer codes as one parameter.
EXTRA_TEXTS: dict[str, ByLanguage[str]] = {"offer": ByLanguage(offer_format)}
# Said by voice (TwiML <Say>) or only part of another text: never an SMS of its own.
# Said on a call, or words inside another text (the intake's answers go to a volunteer as the
# worker's words of worker_to_volunteer): no template of their own.
NOT_SMS = frozenset({"bridge_connecting", "bridge_refused", "campaign_footer",
                     "intake_answers_to_volunteer"})
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
    "answers": "工伤，广东东莞，宏达建筑公司，在住院",
    # The SMS intake's lead and the answers a confirmation reads back (notifications/
    # intake_templates.py), each as ivr_flows.engine.display_answers words it, unit included:
    # a draft's sample reads as the worker would get it, and is matched as sent.
    "intro": "工友热线：已收到，案件编号1024。", "work_place": "广东深圳",
    "amount_owed": "欠12000元", "months_unpaid": "3个月", "people_affected": "5人",
    "still_employed": "还在那里做",
    "injured_on": "2026年11月5日", "injury_place": "车间", "in_hospital": "在住院",
    "employer_pays_treatment": "老板不出医药费", "injury_claim_filed": "未申请工伤认定",
    "dismissed_on": "2026年11月1日", "written_contract": "没签书面合同",
    "insurance_kind": "养老保险", "insurance_months": "12个月没交", "summary": "房东不退押金",
    "hours": "周一至周六 09:00-21:00",
}
_FORMATTER = string.Formatter()


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
    out = []
    for purpose, variants in {**TEXTS, **EXTRA_TEXTS}.items():
        if purpose in NOT_SMS or (purpose in FREE_TEXT and not include_free_text):
            continue
        out += [HotlineText(purpose, lang, text) for lang, text in variants.items()]
    return out + [HotlineText(purpose, lang, text)
                  for purpose, lang, text in intake_formats(default_flow())]


def hotline_display_number(e164: str) -> str:
    """The hotline's number as a worker dials it inside China (national form, no spaces)."""
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
    return str(current_app.config["HOTLINE_PROVIDER"])


def relay_body(session: Session, case: Case, body: str) -> Deliverable:
    """What a volunteer's (or staff member's) relayed `body` to the case's worker becomes on
    the configured provider: itself, or the relay_notice asking the worker to call."""
    notice = say("relay_notice", case.language or "zh", number=case.number, **current_fixed())
    return deliverable_body(session, configured_provider(), body, notice, case.organisation_id)


def relay_outcome(session: Session, case: Case, text: str, key: str = "relay_to_worker") -> str:
    """How a volunteer's (key staff_to_worker: a staff member's) words `text` would reach the
    worker: "sent" as written, "notice" (relay_notice instead) or "refused" (no approved
    template carries either)."""
    relayed = say(key, case.language, number=case.number, text=text)
    try:
        return "notice" if relay_body(session, case, relayed).fell_back else "sent"
    except NoTemplate:
        return "refused"


def relay_reply(session: Session, case: Case, text: str, lang: str) -> tuple[str, bool]:
    """The volunteer's answer to 'R1024 text' and whether the relay can be queued at all."""
    outcome = relay_outcome(session, case, text)
    if outcome == "refused":
        return say("relay_refused", lang, number=case.number), False
    if outcome == "notice":
        return say("relay_notice_sent", lang, number=case.number), True
    return say("relay_sent", lang, number=case.number), True

