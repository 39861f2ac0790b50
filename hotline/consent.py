"""Consent to bulk SMS on record: the one place it is given or withdrawn, kept as evidence.

China's Personal Information Protection Law asks that consent be given freely, knowingly, and
be provable. Each step is a `ConsentEvent` (when, given or withdrawn, how, a short description
of the evidence); `contacts.consent_at` / `consent_source` hold the consent in force now (both
empty when there is none, or after a withdrawal).

What counts, and for what:
- **Texting the hotline** (a worker's first text): they asked us something and agreed to be
  answered. Recorded as "texted the hotline": implied consent, enough for service notices (an
  audience that does not require consent), but not for an audience with `require_consent`.
- **Explicit consent**: imported with a stated source (a sign-up sheet the worker ticked,
  "2026年春节返乡登记表，本人勾选同意") or 订阅/START by text. `require_consent` takes only this.
- **Withdrawal**: STOP/退订 by text, or the carrier reporting the number opted out (Twilio
  21610, at send time or in a status callback). It clears the consent and opts the contact out.
- Only the worker lifts their own withdrawal (START/订阅): an import or a later text never does.

Evidence is a short description of how ("replied 订阅", "imported from 名单.csv by staff wang"),
never the worker's own text or number.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    func,
    insert,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, aliased

from models import ConsentEvent, Contact, utcnow

GIVEN, WITHDRAWN = "given", "withdrawn"
# Sources the hotline writes itself (an import's source is what the importer stated).
TEXTED_HOTLINE = "texted the hotline"
SUBSCRIBED_BY_TEXT = "subscribed by text (START/订阅)"
OPTED_OUT_BY_TEXT = "opted out by text (STOP/退订)"
CARRIER_OPT_OUT = "carrier reported opt-out (Twilio 21610)"
MAX_SOURCE = 120  # contacts.consent_source / consent_events.source
MAX_EVIDENCE = 300

CONTACTS: Any = Contact.__table__
EVENTS: Any = ConsentEvent.__table__


class BadConsentSource(ValueError):
    """A stated consent source that cannot be kept (too long, or blank where one is needed)."""


def clean_source(raw: str | None) -> str | None:
    """A stated consent source, trimmed; None when blank; BadConsentSource when too long."""
    text = " ".join((raw or "").split())
    if not text:
        return None
    if len(text) > MAX_SOURCE:
        raise BadConsentSource(f"consent source longer than {MAX_SOURCE} characters")
    return text


def _short(evidence: str | None) -> str | None:
    text = " ".join((evidence or "").split())
    return text[:MAX_EVIDENCE] or None


def _event(contact_id: int, action: str, source: str, evidence: str | None,
           at: Any) -> dict[str, Any]:
    return {"contact_id": contact_id, "at": at, "action": action,
            "source": source[:MAX_SOURCE], "evidence": _short(evidence)}


def give(session: Session, contact: Contact, source: str, evidence: str | None, *,
         opt_in: bool = False) -> ConsentEvent | None:
    """Record consent given; None (nothing written) when the contact has opted out, unless
    this is their own request to be texted again (`opt_in`, START/订阅), which lifts it."""
    if contact.opted_out_at is not None:
        if not opt_in:
            return None
        contact.opt_in()
    now = utcnow()
    contact.consent_at, contact.consent_source = now, source[:MAX_SOURCE]
    if contact.id is None:
        session.flush()  # a new contact: its INSERT carries the consent (no UPDATE after it)
    event = ConsentEvent(**_event(contact.id, GIVEN, source, evidence, now))
    session.add(event)
    return event


def withdraw(session: Session, contact: Contact, source: str, evidence: str | None
             ) -> ConsentEvent | None:
    """Record consent withdrawn and opt the contact out; None when that changes nothing
    (already opted out with no consent: a second STOP is not news)."""
    if contact.opted_out_at is not None and contact.consent_at is None:
        return None
    contact.opt_out()
    contact.consent_at = contact.consent_source = None
    if contact.id is None:
        session.flush()  # a new contact: its INSERT carries the opt-out
    event = ConsentEvent(**_event(contact.id, WITHDRAWN, source, evidence, utcnow()))
    session.add(event)
    return event


def first_text(session: Session, contact: Contact) -> ConsentEvent | None:
    """A worker's text to the hotline: implied consent, when nothing is on record yet.

    A contact with consent (explicit or implied) keeps it, and one who opted out stays out:
    writing about their case is not asking for bulk SMS again.
    """
    if contact.consent_at is not None or contact.opted_out_at is not None:
        return None
    return give(session, contact, TEXTED_HOTLINE, "first text to the hotline")


def withdraw_many(session: Session, contact_ids: Select[Any] | Iterable[int], source: str,
                  evidence: str | None) -> int:
    """Withdraw for many contacts at once (a chunk's or a callback's 21610s); how many changed.

    Rows are locked first, so two callbacks for one number write one withdrawal.
    """
    ids = contact_ids if isinstance(contact_ids, Select) else list(contact_ids)
    changing = list(session.scalars(
        select(Contact.id).where(Contact.id.in_(ids), or_(
            Contact.opted_out_at.is_(None), Contact.consent_at.is_not(None)))
        .order_by(Contact.id).with_for_update()))
    if not changing:
        return 0
    now = utcnow()
    session.execute(insert(EVENTS), [_event(i, WITHDRAWN, source, evidence, now)
                                     for i in changing])
    session.execute(update(CONTACTS).where(CONTACTS.c.id.in_(changing)).values(
        opted_out_at=func.coalesce(CONTACTS.c.opted_out_at, now), consent_at=None,
        consent_source=None))
    for contact in session.identity_map.values():  # keep loaded objects in step
        if isinstance(contact, Contact) and contact.id in changing:
            session.expire(contact, ["opted_out_at", "consent_at", "consent_source"])
    return len(changing)


@dataclass(frozen=True)
class Grant:
    """One imported contact's stated consent: its source and the evidence for it."""

    contact_id: int
    source: str
    evidence: str | None


def give_many(conn: Connection | Session, grants: Iterable[Grant]) -> int:
    """Record stated consent for imported contacts in set-based statements; how many given.

    Opted-out contacts get none (only the worker lifts their own opt-out), and a contact
    whose consent in force already has this source is not recorded twice (a re-import).
    """
    wanted = {g.contact_id: g for g in grants}
    if not wanted:
        return 0
    current = conn.execute(select(CONTACTS.c.id, CONTACTS.c.opted_out_at,
                                  CONTACTS.c.consent_at, CONTACTS.c.consent_source)
                           .where(CONTACTS.c.id.in_(list(wanted)))).all()
    now = utcnow()
    rows = [_event(g.contact_id, GIVEN, g.source, g.evidence, now) for g in (
        wanted[r.id] for r in current
        if r.opted_out_at is None
        and not (r.consent_at is not None and r.consent_source == wanted[r.id].source))]
    if not rows:
        return 0
    conn.execute(insert(EVENTS), rows)
    conn.execute(update(CONTACTS).where(CONTACTS.c.id == bindparam("b_id")).values(
        consent_at=now, consent_source=bindparam("b_source")),
        [{"b_id": r["contact_id"], "b_source": r["source"]} for r in rows])
    return len(rows)


def explicit_consent() -> ColumnElement[bool]:
    """Contacts whose consent in force is explicit (imported with a source, or 订阅/START)."""
    return and_(Contact.consent_at.is_not(None), Contact.consent_source != TEXTED_HOTLINE)


# --- for an auditor: the consent log and the opt-out list ---------------------------------------
LOG_COLUMNS = ("at", "phone", "action", "source", "evidence")
OPT_OUT_COLUMNS = ("phone", "opted_out_at", "how", "evidence")


def consent_log(session: Session, scope: ColumnElement[bool] | None = None
                ) -> Iterator[tuple[datetime, str | None, str, str, str | None]]:
    """Every consent step of the contacts in `scope` (a condition on Contact; None: all),
    oldest first: (at, phone or None once erased, action, source, evidence)."""
    query = (select(ConsentEvent.at, Contact.phone, Contact.erased_at, ConsentEvent.action,
                    ConsentEvent.source, ConsentEvent.evidence)
             .join(Contact, Contact.id == ConsentEvent.contact_id)
             .where(true() if scope is None else scope))
    for row in session.execute(query.order_by(ConsentEvent.at, ConsentEvent.id)
                               .execution_options(yield_per=2000)):
        yield (row.at, None if row.erased_at else row.phone, row.action, row.source,
               row.evidence)


def opt_out_list(session: Session, scope: ColumnElement[bool] | None = None
                 ) -> Iterator[tuple[str, datetime, str | None, str | None]]:
    """Every opted-out contact in `scope` whose number is still held, newest first:
    (phone, opted out at, how and evidence of the latest withdrawal on record, if any)."""
    step = aliased(ConsentEvent)  # the subquery's own, not the outer join's
    latest = (select(step.id).where(step.contact_id == Contact.id, step.action == WITHDRAWN)
              .order_by(step.id.desc()).limit(1).correlate(Contact).scalar_subquery())
    query = (select(Contact.phone, Contact.opted_out_at, ConsentEvent.source,
                    ConsentEvent.evidence)
             .outerjoin(ConsentEvent, ConsentEvent.id == latest)
             .where(Contact.opted_out_at.is_not(None), Contact.erased_at.is_(None),
                    true() if scope is None else scope))
    for row in session.execute(query.order_by(Contact.opted_out_at.desc(), Contact.id)
                               .execution_options(yield_per=2000)):
        yield row.phone, row.opted_out_at, row.source, row.evidence


def stamp(value: datetime | None, zone: tzinfo) -> str:
    """A timestamp in the office's time zone with its offset (SQLite hands back naive UTC)."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(zone).isoformat(sep=" ", timespec="seconds")
