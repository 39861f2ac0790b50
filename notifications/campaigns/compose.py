"""Campaigns for staff: write the texts, check them, estimate the cost, preview, start and stop.

Sending itself happens in Celery tasks (notifications.campaigns.tasks); nothing here loops over
recipients inside a web request.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, Select, and_, func, or_, select, true
from sqlalchemy.orm import Session

from hotline.phones import mask_phone
from models import (
    Campaign,
    CampaignKind,
    CampaignStatus,
    CampaignVariant,
    Contact,
    utcnow,
)
from notifications.campaigns.audience import (
    Audience,
    audience_size,
    left_out_for_consent,
    open_case_number,
)
from notifications.campaigns.rendering import (
    MAX_BODY,
    MissingField,
    TemplateError,
    compose,
    contact_values,
    pick_template,
    placeholders,
    render,
    variant_bodies,
)
from notifications.campaigns.replies import normalize_reply
from notifications.campaigns.templated import campaign_template_problems
from notifications.segments import count_segments


class CampaignNotReady(ValueError):
    """The campaign cannot be sent as it is; `problems` says why, one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


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
        raise TemplateError(f"no text in the default language {spec.default_language}")
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
