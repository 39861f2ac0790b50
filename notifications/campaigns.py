"""Campaigns for staff: write the texts, check them, estimate the cost, preview, start and stop.

Sending itself happens in Celery tasks (notifications.campaign_tasks); nothing here loops over
recipients inside a web request.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, Select, and_, func, or_, select, true
from sqlalchemy.orm import Session

from hotline.consent import left_out_for_consent
from hotline.phones import mask_phone
from hotline.replies import say
from models import (
    Campaign,
    CampaignKind,
    CampaignStatus,
    CampaignVariant,
    Contact,
    Recipient,
    RecipientStatus,
    utcnow,
)
from notifications.audience import Audience, audience_size, open_case_number
from notifications.segments import count_segments

# {name}, {name|工友} (a fallback when the field is empty), {{ and }} for literal braces.
PLACEHOLDER = re.compile(r"\{\{|\}\}|\{(\w+)(?:\|([^{}]*))?\}")
FIELDS = ("name", "case_number", "province", "city", "work_province")
MAX_BODY = 1600  # Twilio's limit for one (concatenated) message


class TemplateError(ValueError):
    """A variant text that cannot be rendered (unknown placeholder, stray brace...)."""


class MissingField(ValueError):
    """A recipient lacks a value the text needs, and the text gives no fallback."""

    def __init__(self, name: str) -> None:
        super().__init__(f"missing {{{name}}}")
        self.field = name


class CampaignNotReady(ValueError):
    """The campaign cannot be sent as it is; `problems` says why, one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def placeholders(template: str) -> list[tuple[str, str | None]]:
    """The (field, fallback) pairs a template uses; raise TemplateError if it is malformed."""
    found = [(m.group(1), m.group(2)) for m in PLACEHOLDER.finditer(template) if m.group(1)]
    leftover = PLACEHOLDER.sub("", template)
    if "{" in leftover or "}" in leftover:
        raise TemplateError("unbalanced brace: write {{ or }} for a literal one")
    unknown = sorted({name for name, _ in found if name not in FIELDS})
    if unknown:
        raise TemplateError(f"unknown placeholder(s) {', '.join(unknown)}; "
                            f"known: {', '.join(FIELDS)}")
    return found


def render(template: str, values: Mapping[str, Any]) -> str:
    """Fill the placeholders; raise MissingField instead of leaving a blank in the text."""
    def fill(match: re.Match[str]) -> str:
        if match.group(1) is None:
            return match.group(0)[0]
        value = values.get(match.group(1))
        text = "" if value is None else str(value).strip()
        if not text:
            if match.group(2) is None:
                raise MissingField(match.group(1))
            return match.group(2)
        return text

    return PLACEHOLDER.sub(fill, template)


def compose(campaign: Campaign, text: str, language: str) -> str:
    """Add the 【signature】 and the opt-out footer, as Chinese carriers expect."""
    if campaign.signature:
        text = f"【{campaign.signature}】{text}"
    if campaign.footer:
        # A language with no footer of its own gets the English one (the Latin script is
        # more likely to be read than Chinese by someone who chose neither).
        text = f"{text} {say('campaign_footer', language if language == 'zh' else 'en')}"
    return text


def contact_values(contact: Any, case_number: int | None = None) -> dict[str, Any]:
    """The placeholder values of a contact (a Contact or a row with the same attributes)."""
    return {"name": contact.name, "province": contact.home_province,
            "city": contact.work_city, "work_province": contact.work_province,
            "case_number": case_number}


def variant_bodies(session: Session, campaign_id: int) -> dict[str, str]:
    """Language -> template of a campaign."""
    rows = session.execute(select(CampaignVariant.language, CampaignVariant.body).where(
        CampaignVariant.campaign_id == campaign_id)).all()
    return dict(rows)


def pick_template(bodies: Mapping[str, str], language: str, default: str) -> tuple[str, str]:
    """The (language, template) a recipient gets: theirs if written, else the default one."""
    if language in bodies:
        return language, bodies[language]
    return default, bodies[default]


@dataclass
class CampaignSpec:
    """What staff fill in to create a campaign."""

    name: str
    variants: dict[str, str]
    audience: Audience = field(default_factory=Audience)
    sender: str | None = None
    kind: CampaignKind = CampaignKind.BROADCAST
    signature: str | None = None
    footer: bool = True
    default_language: str = "zh"
    rsvp_keywords: list[str] = field(default_factory=list)
    rate_per_second: float | None = None
    quiet_hours: str | None = None  # "21:00-08:00"
    price_per_segment: Decimal | None = None


def parse_quiet_hours(text: str) -> tuple[str, str]:
    """'21:00-08:00' -> ('21:00', '08:00'); raise ValueError on anything else."""
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", text)
    if not match or int(match[1]) > 23 or int(match[3]) > 23 or max(
            int(match[2]), int(match[4])) > 59:
        raise ValueError(f"quiet hours must look like 21:00-08:00, not {text!r}")
    return f"{int(match[1]):02d}:{match[2]}", f"{int(match[3]):02d}:{match[4]}"


def create_campaign(session: Session, spec: CampaignSpec) -> Campaign:
    """Validate the texts and add a DRAFT campaign with its variants."""
    cfg = current_app.config
    if not spec.variants:
        raise TemplateError("a campaign needs at least one text")
    for language, body in spec.variants.items():
        try:
            placeholders(body)
        except TemplateError as exc:
            raise TemplateError(f"{language} text: {exc}") from exc
    if spec.default_language not in spec.variants:
        raise TemplateError(f"no text in the default language {spec.default_language!r}")
    quiet_start, quiet_end = parse_quiet_hours(spec.quiet_hours or cfg["CAMPAIGN_QUIET_HOURS"])
    keywords = [normalize_reply(k) for k in spec.rsvp_keywords]
    if spec.kind == CampaignKind.RECHECK and not keywords:
        keywords = ["1"]
    campaign = Campaign(
        name=spec.name, kind=spec.kind, sender=spec.sender or cfg["HOTLINE_NUMBER"],
        signature=spec.signature or cfg.get("CAMPAIGN_SIGNATURE") or None, footer=spec.footer,
        default_language=spec.default_language, audience=spec.audience.as_dict(),
        rsvp_keywords=keywords, rate_per_second=spec.rate_per_second,
        price_per_segment=spec.price_per_segment or Decimal(cfg["CAMPAIGN_PRICE_PER_SEGMENT"]),
        quiet_start=quiet_start, quiet_end=quiet_end, status=CampaignStatus.DRAFT)
    session.add(campaign)
    session.flush()
    session.add_all(CampaignVariant(campaign_id=campaign.id, language=lang, body=body)
                    for lang, body in spec.variants.items())
    return campaign


def _variant_condition(bodies: Mapping[str, str], language: str, default: str
                       ) -> ColumnElement[bool]:
    """Which contacts get the variant in `language` (the default one takes the rest)."""
    if language != default:
        return Contact.language == language
    return or_(Contact.language == default, Contact.language.not_in(list(bodies)))


_FIELD_COLUMNS = {"name": Contact.name, "province": Contact.home_province,
                  "city": Contact.work_city, "work_province": Contact.work_province}


def check_campaign(session: Session, campaign: Campaign) -> list[str]:
    """Everything that would make the campaign fail or leave a blank; empty when it can go."""
    bodies = variant_bodies(session, campaign.id)
    audience = Audience.from_dict(campaign.audience)
    problems: list[str] = []
    if audience_size(session, audience) == 0:
        problems.append("the audience is empty")
    for language, body in sorted(bodies.items()):
        try:
            used = placeholders(body)
        except TemplateError as exc:
            problems.append(f"{language} text: {exc}")
            continue
        if len(compose(campaign, body, language)) > MAX_BODY:
            problems.append(f"{language} text is longer than {MAX_BODY} characters")
        who = and_(true(), *audience.conditions(),
                   _variant_condition(bodies, language, campaign.default_language))
        for name in sorted({n for n, fallback in used if fallback is None}):
            missing = (open_case_number(Contact.id).is_(None) if name == "case_number" else
                       func.coalesce(func.trim(_FIELD_COLUMNS[name]), "") == "")
            count = session.scalar(select(func.count()).select_from(Contact).where(who, missing))
            if count:
                problems.append(f"{language} text uses {{{name}}} but {count} recipient(s) have "
                                f"none; add a fallback like {{{name}|...}} or narrow the audience")
    from notifications.template_campaigns import campaign_template_problems  # here: it imports us

    return problems + campaign_template_problems(session, campaign)


@dataclass
class VariantEstimate:
    """Segments and cost of one variant over the recipients who get it."""

    language: str
    recipients: int = 0
    segments: int = 0
    min_segments: int = 0
    max_segments: int = 0
    encodings: set[str] = field(default_factory=set)
    missing: int = 0  # recipients who could not be rendered

    def add(self, seg: tuple[int, str] | None, people: int) -> None:
        """Count `people` recipients whose text has `seg` (segments, encoding); None: missing."""
        self.recipients += people
        if seg is None:
            self.missing += people
            return
        self.segments += seg[0] * people
        self.min_segments = seg[0] if self.min_segments == 0 else min(self.min_segments, seg[0])
        self.max_segments = max(self.max_segments, seg[0])
        self.encodings.add(seg[1])


ESTIMATE_MAX_AGE = timedelta(minutes=10)  # the audience changes as contacts come and go


def estimate(session: Session, campaign: Campaign) -> dict[str, Any]:
    """Exact segment count per variant over the current audience, and the cost.

    The database groups recipients by language and by the fields the texts use, so a text
    without placeholders costs one row per language, not one rendering per recipient.
    """
    bodies = variant_bodies(session, campaign.id)
    audience = Audience.from_dict(campaign.audience)
    used = sorted({n for b in bodies.values() for n, _ in placeholders(b)})
    columns = {"case_number": open_case_number(Contact.id), **_FIELD_COLUMNS}
    inner = select(Contact.language.label("language"),
                   *(columns[n].label(n) for n in used)
                   ).where(and_(true(), *audience.conditions())).subquery()
    keys = [inner.c.language, *(inner.c[n] for n in used)]
    query = select(*keys, func.count()).group_by(*keys)
    out: dict[str, VariantEstimate] = {}
    for row in session.execute(query.execution_options(yield_per=5000)):
        language, template = pick_template(bodies, row[0], campaign.default_language)
        values = dict(zip(used, row[1:-1], strict=True))
        try:
            count = count_segments(compose(campaign, render(template, values), language))
            seg: tuple[int, str] | None = (count.segments, count.encoding)
        except MissingField:
            seg = None
        out.setdefault(language, VariantEstimate(language)).add(seg, int(row[-1]))
    price = Decimal(campaign.price_per_segment)
    variants = [{**est.__dict__, "encodings": sorted(est.encodings),
                 "cost": str(price * est.segments)} for est in out.values()]
    total = sum(e.segments for e in out.values())
    # An audience requiring consent on record says whom that leaves out (hotline.consent).
    consent = ({"left_out_without_consent": left_out_for_consent(session, audience)}
               if audience.require_consent else {})
    return {"variants": variants, "recipients": sum(e.recipients for e in out.values()),
            "segments": total, "price_per_segment": str(price), "cost": str(price * total),
            **consent}


def cached_estimate(session: Session, campaign: Campaign) -> dict[str, Any]:
    """The draft's estimate, computed at most once per ESTIMATE_MAX_AGE and kept on it."""
    cache = campaign.estimate_cache
    now = utcnow()
    if cache and datetime.fromisoformat(cache["computed_at"]) > now - ESTIMATE_MAX_AGE:
        return cache
    fresh = {**estimate(session, campaign), "computed_at": now.isoformat()}
    campaign.estimate_cache = fresh
    return fresh


def preview(session: Session, campaign: Campaign, limit: int = 5,
            phones: list[str] | None = None) -> list[dict[str, Any]]:
    """The exact texts some recipients would get (the first few, or the phones given)."""
    bodies = variant_bodies(session, campaign.id)
    query: Select[Any] = Audience.from_dict(campaign.audience).contacts().order_by(Contact.id)
    if phones:  # named people, but never outside the campaign's organisation
        query = select(Contact).where(Contact.phone.in_(phones), *Audience.from_dict(
            campaign.audience).scope_conditions())
    out = []
    for contact in session.scalars(query.limit(limit)):
        language, template = pick_template(bodies, contact.language, campaign.default_language)
        case_number = session.scalar(select(open_case_number(contact.id)))
        item: dict[str, Any] = {"phone": mask_phone(contact.phone), "language": language}
        try:
            body = compose(campaign, render(template, contact_values(contact, case_number)),
                           language)
        except MissingField as exc:
            item["error"] = str(exc)
        else:
            seg = count_segments(body)
            item.update(body=body, segments=seg.segments, encoding=seg.encoding)
        out.append(item)
    return out


def normalize_reply(body: str) -> str:
    """What a reply says, compared loosely: full-width digits folded, case and spaces ignored."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", body or "")).upper().rstrip("。.!！")


def latest_campaign_reach(session: Session, contact: Contact
                          ) -> tuple[Recipient, Campaign] | None:
    """The contact's most recent campaign text still within its reply window, if any."""
    since = utcnow() - timedelta(hours=24 * 30)
    row = session.execute(
        select(Recipient, Campaign).join(Campaign, Campaign.id == Recipient.campaign_id)
        .where(Recipient.contact_id == contact.id, Recipient.sent_at >= since,
               Recipient.status.in_([RecipientStatus.ACCEPTED, RecipientStatus.SENT,
                                     RecipientStatus.DELIVERED, RecipientStatus.UNKNOWN]))
        .order_by(Recipient.sent_at.desc()).limit(1)).first()
    if row is None:
        return None
    recipient, campaign = row
    window = timedelta(hours=campaign.reply_window_hours)
    if recipient.sent_at is None or utcnow() - recipient.sent_at > window:
        return None
    return recipient, campaign


def note_campaign_opt_out(session: Session, contact: Contact) -> None:
    """A TD/STOP that answers a recent campaign counts against that campaign (once)."""
    reach = latest_campaign_reach(session, contact)
    if reach is not None and reach[0].opted_out_at is None:
        reach[0].opted_out_at = utcnow()


# Answers to a re-check that are not a "1": yes-words confirm too; no-words mean the number
# now belongs to someone else. Anything longer is a real message and goes to intake.
RECHECK_YES = {"是", "是的", "对", "对的", "YES", "Y", "OK", "好", "好的", "嗯", "收到", "谢谢"}
RECHECK_NO = {"2", "0", "不是", "否", "NO", "N", "错号", "打错了", "不是我"}


def handle_campaign_reply(session: Session, contact: Contact, body: str) -> str | None:
    """Count an RSVP keyword (or a re-check answer) for the contact's latest campaign.

    Returns the text to answer with, or None when the reply is not for a campaign (then it
    goes to intake as usual). Runs in the caller's transaction.
    """
    word = normalize_reply(body)
    reach = latest_campaign_reach(session, contact)
    if reach is None:
        return None
    recipient, campaign = reach
    language = contact.language or "zh"
    if campaign.kind == CampaignKind.RECHECK:
        return _recheck_answer(contact, recipient, campaign, word, language)
    if word not in campaign.rsvp_keywords:
        return None
    if recipient.reply is not None:
        return say("rsvp_again", language)
    recipient.reply, recipient.replied_at = word, utcnow()
    return say("rsvp_signup", language)


def _recheck_answer(contact: Contact, recipient: Recipient, campaign: Campaign, word: str,
                    language: str) -> str | None:
    if word in campaign.rsvp_keywords or word in RECHECK_YES:
        contact.verified_at, contact.stale_at = utcnow(), None
        if recipient.reply is None:
            recipient.reply, recipient.replied_at = "1", utcnow()
        return say("rsvp_verified", language)
    if word in RECHECK_NO:
        # Not their number any more: stale now, not when the reply window closes. No reply is
        # sent (the new owner did not ask for our texts); the answer is kept on the row.
        contact.stale_at, contact.verified_at = utcnow(), None
        recipient.reply, recipient.replied_at = word[:20], utcnow()
        return ""
    return None


def quiet_window(campaign: Campaign) -> tuple[int, int]:
    """Quiet hours as minutes after midnight (start, end)."""
    def minutes(hhmm: str) -> int:
        hours, mins = hhmm.split(":")
        return int(hours) * 60 + int(mins)

    return minutes(campaign.quiet_start), minutes(campaign.quiet_end)


def in_quiet_hours(campaign: Campaign, local: datetime) -> bool:
    """True when `local` (a recipient's wall-clock time) falls in the campaign's quiet hours."""
    start, end = quiet_window(campaign)
    now = local.hour * 60 + local.minute
    if start == end:
        return False
    return start <= now < end if start < end else (now >= start or now < end)
