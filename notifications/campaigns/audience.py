"""Audiences: which contacts a campaign goes to, as one SQL query (never a Python loop)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    exists,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session

from hotline.consent import explicit_consent
from hotline.places import place_variants
from models import (
    OPEN_STATUSES,
    Campaign,
    Case,
    CaseCategory,
    CaseOrganisation,
    Contact,
    ContactOrganisation,
    ContactTag,
    Recipient,
    RecipientStatus,
    utcnow,
)
from notifications.campaigns.counts import added

# `Audience.organisation_id` for staff who belong to no organisation (a one-office setup).
NO_ORGANISATION = 0


class BadAudience(ValueError):
    """An audience filter that names an unknown field or value."""


def organisation_condition(organisation_id: int, *, few: bool = False) -> ColumnElement[bool]:
    """Contacts an organisation may text: imported by it, or with a case in its queue.

    A case that passed through the organisation counts too (`case_organisations`).
    NO_ORGANISATION means contacts that belong to no organisation at all (or have a case
    with none), as staff without an organisation see only cases without one.

    `few`: the contacts tested are already few (the opt-out list: a partial index finds
    them), so each is probed through one correlated EXISTS over a UNION ALL that stops at
    its first hit. Otherwise (a whole audience), three ORed EXISTS, which PostgreSQL runs as
    hashed subplans reading each branch once: at 400,000 contacts that is ~7x faster than
    probing every contact, while for 12,000 opted-out contacts probing is ~2x faster.
    """
    case_in = exists().where(Case.contact_id == Contact.id)
    if organisation_id == NO_ORGANISATION:
        linked = exists().where(ContactOrganisation.contact_id == Contact.id)
        in_some = case_in.where(Case.organisation_id.is_not(None))
        return or_(case_in.where(Case.organisation_id.is_(None)), and_(~linked, ~in_some))
    one: ColumnElement[int] = literal_column("1")
    imported = select(one).where(ContactOrganisation.contact_id == Contact.id,
                                 ContactOrganisation.organisation_id == organisation_id)
    queued = select(one).select_from(Case).where(Case.contact_id == Contact.id,
                                                 Case.organisation_id == organisation_id)
    # An office that handed a worker's case over still serves them (the home county
    # and the city manage together), as it still sees the case.
    held_before = (select(one).select_from(Case)
                   .join(CaseOrganisation, CaseOrganisation.case_id == Case.id)
                   .where(Case.contact_id == Contact.id,
                          CaseOrganisation.organisation_id == organisation_id))
    if few:
        return exists(union_all(imported, queued, held_before))
    return or_(imported.exists(), queued.exists(), held_before.exists())


@dataclass(frozen=True)
class Audience:
    """Who gets a campaign: every condition given must hold (lists mean "any of these")."""

    tags: list[str] = field(default_factory=list)  # has at least one of these tags
    all_tags: list[str] = field(default_factory=list)  # has every one of these
    languages: list[str] = field(default_factory=list)
    provinces: list[str] = field(default_factory=list)  # home province
    cities: list[str] = field(default_factory=list)  # work city
    case_categories: list[str] = field(default_factory=list)  # has a case of one of these
    has_open_case: bool | None = None
    verified: bool | None = None  # re-check: True = confirmed their number, False = not
    exclude_stale: bool = False  # leave out numbers a re-check found stale (no reply)
    # Only contacts with explicit consent on record (hotline.consent: imported with a stated
    # source, or 订阅/START); having texted the hotline is not enough here.
    require_consent: bool = False
    # Only contacts of this organisation (staff's audiences); None = everyone (admins, CLI).
    organisation_id: int | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Audience:
        """Build from stored JSON; unknown keys or categories are errors, not ignored."""
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise BadAudience(f"unknown audience field(s): {', '.join(sorted(unknown))}")
        categories = set(data.get("case_categories") or [])
        bad = categories - {c.value for c in CaseCategory}
        if bad:
            raise BadAudience(f"unknown case categor(y/ies): {', '.join(sorted(bad))}")
        org = data.get("organisation_id")
        if org is not None and (not isinstance(org, int) or isinstance(org, bool)):
            raise BadAudience(f"organisation_id must be a number, not {org!r}")
        if not isinstance(data.get("require_consent", False), bool):
            raise BadAudience("require_consent must be true or false")
        return cls(**data)

    def as_dict(self) -> dict[str, Any]:
        """The filter as JSON-able data (only the conditions set)."""
        data = {k: v for k, v in asdict(self).items() if v is not None and v != []}
        for flag in ("exclude_stale", "require_consent"):
            if not data[flag]:
                del data[flag]
        return data

    def conditions(self) -> list[ColumnElement[bool]]:
        """The WHERE conditions on Contact; opted-out contacts are always left out."""
        conds: list[ColumnElement[bool]] = [Contact.opted_out_at.is_(None)]
        if self.tags:
            conds.append(exists().where(ContactTag.contact_id == Contact.id,
                                        ContactTag.tag.in_([t.lower() for t in self.tags])))
        conds += [exists().where(ContactTag.contact_id == Contact.id,
                                 ContactTag.tag == tag.lower()) for tag in self.all_tags]
        if self.languages:
            conds.append(Contact.language.in_(self.languages))
        if self.provinces:
            conds.append(Contact.home_province.in_(place_variants(self.provinces, "省")))
        if self.cities:
            conds.append(Contact.work_city.in_(place_variants(self.cities, "市")))
        if self.case_categories:
            conds.append(exists().where(Case.contact_id == Contact.id,
                                        Case.category.in_(self.case_categories)))
        if self.has_open_case is not None:
            has = exists().where(Case.contact_id == Contact.id, Case.status.in_(OPEN_STATUSES))
            conds.append(has if self.has_open_case else ~has)
        if self.verified is not None:
            conds.append(Contact.verified_at.is_not(None) if self.verified
                         else Contact.verified_at.is_(None))
        if self.exclude_stale:
            conds.append(Contact.stale_at.is_(None))
        if self.require_consent:
            conds.append(explicit_consent())
        return conds + self.scope_conditions()

    def scope_conditions(self) -> list[ColumnElement[bool]]:
        """The organisation limit alone (also for previews of named phones)."""
        if self.organisation_id is None:
            return []
        return [organisation_condition(self.organisation_id)]

    def contacts(self) -> Select[Any]:
        """SELECT the matching contacts."""
        return select(Contact).where(and_(true(), *self.conditions()))


def audience_size(session: Session, audience: Audience) -> int:
    """How many contacts the audience matches right now."""
    return int(session.scalar(select(func.count()).select_from(Contact).where(
        and_(true(), *audience.conditions()))) or 0)


def open_case_number(contact_id: Any) -> Any:
    """A scalar subquery: the contact's latest open case number (for {case_number})."""
    return (select(func.max(Case.number))
            .where(Case.contact_id == contact_id, Case.status.in_(OPEN_STATUSES))
            .scalar_subquery())


def materialize(session: Session, campaign: Campaign, default_timezone: str) -> int:
    """Write one PENDING recipient row per matching contact in one INSERT ... SELECT."""
    audience = Audience.from_dict(campaign.audience)
    source = select(
        literal(campaign.id), Contact.id, Contact.phone, Contact.language,
        func.coalesce(Contact.timezone, default_timezone), literal(RecipientStatus.PENDING.value),
        literal(0), literal(utcnow(), type_=Recipient.__table__.c.updated_at.type),
    ).where(and_(true(), *audience.conditions())).order_by(Contact.id)
    # Contact order, so rows are sent in the order people were added, whatever join the
    # planner picked (a hash join hands rows back in any order).
    columns = ["campaign_id", "contact_id", "phone", "language", "timezone", "status",
               "attempts", "updated_at"]
    session.execute(insert(Recipient).from_select(columns, source))
    # Counted, not the INSERT's rowcount: psycopg reports -1 for an INSERT ... SELECT.
    written = int(session.scalar(select(func.count()).where(
        Recipient.campaign_id == campaign.id)) or 0)
    added(session, campaign.id, written)  # the campaign's counters start here
    campaign.timezones = sorted(session.scalars(
        select(Recipient.timezone).where(Recipient.campaign_id == campaign.id).distinct()))
    campaign.materialized_at = utcnow()
    return written


def left_out_for_consent(session: Session, audience: Audience) -> int:
    """How many of an audience requiring consent are left out for having none on record."""
    if not audience.require_consent:
        return 0
    without = replace(audience, require_consent=False)
    return audience_size(session, without) - audience_size(session, audience)
