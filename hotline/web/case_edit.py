"""Staff correct a case on the web: every fact of it, and the details of its problem.

Each change is written on the timeline in words (what changed from what to what, by whom) and to
the audit log; afterwards routing and collective detection look at the case again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.cases import categorise
from hotline.collective import check_collective
from hotline.deadlines import BadAmount, parse_amount
from hotline.escalation import mark_urgent_if_needed
from hotline.infra.db import get_db
from hotline.offers import offer_case
from hotline.organisations import settle_organisation
from hotline.outbox import route_after_commit
from hotline.replies import CATEGORY_NAMES
from hotline.web.access import audit, case_or_404, case_scope, guard, signed_in_user
from hotline.web.i18n import N_
from hotline.web.i18n import gettext as _
from hotline.web.stats import local_zone
from ivr_flows.parse import stored_date
from ivr_flows.places import find_province, resolve_place
from models import (
    AuditAction,
    Case,
    CaseCategory,
    CaseStatus,
    EventKind,
    Role,
    Urgency,
    User,
    utcnow,
)

bp = Blueprint("case_edit", __name__, url_prefix="/staff/cases")
bp.before_request(guard(Role.ADMIN, Role.STAFF))

INSURANCE_KINDS = ("养老", "医疗", "工伤", "失业", "生育", "公积金", "全部")
MAX_PEOPLE = 100_000
MAX_MONTHS = 240


@dataclass(frozen=True)
class Detail:
    """One answer of a problem's own intake, as a form field (see the shared detail keys)."""

    key: str
    kind: str  # "date" | "bool" | "text" | "int" | "money" (whole yuan) | "choice"
    label: str  # the form label (a message id)
    word: str  # how the timeline names it, in English (translated by the event catalogue)


WAGE_DETAILS = (Detail("still_employed", "bool", N_("Still working there"), "still employed"),
                Detail("left_on", "date", N_("Left the job on"), "date of leaving"))
DETAILS: dict[CaseCategory, tuple[Detail, ...]] = {
    CaseCategory.WAGES: WAGE_DETAILS,
    CaseCategory.COLLECTIVE: WAGE_DETAILS,
    CaseCategory.INJURY: (
        Detail("injured_on", "date", N_("Injured on"), "date of injury"),
        Detail("injury_place", "text", N_("Where it happened"), "place of injury"),
        Detail("in_hospital", "bool", N_("In hospital"), "in hospital"),
        Detail("employer_pays_treatment", "bool", N_("Employer pays the treatment"),
               "employer pays treatment"),
        Detail("medical_costs", "money", N_("Treatment paid by the worker so far (yuan)"),
               "treatment paid by the worker"),
        Detail("injury_claim_filed", "bool", N_("Work-injury recognition applied for"),
               "injury claim filed")),
    CaseCategory.CONTRACT: (
        Detail("dismissed_on", "date", N_("Dismissed or contract ended on"), "date of dismissal"),
        Detail("written_contract", "bool", N_("Written contract"), "written contract")),
    CaseCategory.SOCIAL_INSURANCE: (
        Detail("insurance_kind", "choice", N_("Which insurance"), "insurance"),
        Detail("insurance_months", "int", N_("Months not paid in"), "months of insurance")),
    CaseCategory.OTHER_LEGAL: (),
    CaseCategory.UNKNOWN: (),
}
# The core facts and how the timeline names them (English; translated at render).
WORDS = {"category": "category", "urgency": "urgency", "work_province": "province of work",
         "work_city": "city of work", "employer": "employer", "amount_owed": "wages owed",
         "months_unpaid": "months unpaid", "people_affected": "people affected",
         "people_approximate": "approximate count", "summary": "summary"}
TEXT_LIMITS = {"work_province": 40, "work_city": 60, "employer": 200, "summary": 4000}


class Invalid(ValueError):
    """A form value that cannot be saved; the message is shown next to the field."""


def today() -> date:
    """Today in the office's time zone (a date in the future is refused)."""
    return utcnow().astimezone(local_zone()).date()


def read_amount(raw: str) -> Decimal | None:
    """Yuan owed: '12000', '1.2万', '１２０００'; negative or unreadable is refused."""
    text = raw.strip()
    if text.startswith(("-", "－", "−")):
        raise Invalid(_("The amount cannot be negative."))
    try:
        return parse_amount(text)
    except BadAmount as exc:
        raise Invalid(_("Write the amount in yuan, e.g. 12000 or 1.2万.")) from exc


def read_int(raw: str, low: int, high: int) -> int | None:
    """A whole number between low and high (full-width digits accepted); blank → None."""
    text = raw.strip().translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    if not text:
        return None
    if text.startswith("-"):
        raise Invalid(_("The number cannot be negative."))
    if not text.isdigit():
        raise Invalid(_("Write a whole number, e.g. 3."))
    value = int(text)
    if not low <= value <= high:
        raise Invalid(_("Write a number from %(low)s to %(high)s.", low=low, high=high))
    return value


def read_date(raw: str) -> str | None:
    """An ISO date from a date input, not in the future; blank → None."""
    text = raw.strip()
    if not text:
        return None
    try:
        value = date.fromisoformat(text)
    except ValueError as exc:
        raise Invalid(_("Write the date as 2024-05-31.")) from exc
    if value > today():
        raise Invalid(_("The date cannot be in the future."))
    return value.isoformat()


def read_bool(raw: str) -> bool | None:
    """'yes' / 'no' from a select; blank → not known."""
    if raw not in ("", "yes", "no"):
        raise Invalid(_("Choose yes or no."))
    return None if raw == "" else raw == "yes"


def read_place(province: str | None, city: str | None) -> tuple[str | None, str | None]:
    """Province and city as routing matches them ('广东省', '东莞市' -> 广东, 东莞; a city
    alone finds its province; pinyin and typos are read); a place the gazetteer does not know
    is kept as typed. A city of another province than the one typed is refused."""
    if not (province or city):
        return None, None
    place = resolve_place(f"{province or ''} {city or ''}".strip())
    if place is None:
        return province, city
    if province and city and place.city and find_province(province) not in (None,
                                                                            place.province):
        raise Invalid(_("%(city)s is in %(province)s: correct the province or the city.",
                        city=place.city, province=place.province))
    return place.province, place.city or city


def read_detail(detail: Detail, raw: str) -> Any:
    """One detail answer from the form, as stored in case.details."""
    if detail.kind == "date":
        return read_date(raw)
    if detail.kind == "bool":
        return read_bool(raw)
    if detail.kind == "int":
        return read_int(raw, 0, MAX_MONTHS)
    if detail.kind == "money":
        amount = read_amount(raw)
        # Kept in whole yuan: case.details is JSON, and what a worker paid is never in fen.
        return None if amount is None else int(amount.to_integral_value())
    if detail.kind == "choice":
        if raw and raw not in INSURANCE_KINDS:
            raise Invalid(_("Choose one of the listed insurances."))
        return raw or None
    return raw.strip()[:100] or None


def choice(kind: type[CaseCategory] | type[Urgency], raw: str) -> Any:
    """A value of the select's own list; anything else (a forged form) is refused."""
    try:
        return kind(raw)
    except ValueError as exc:
        raise Invalid(_("Choose one of the listed values.")) from exc


def read_form(form: Any, place: tuple[str | None, str | None]
              ) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """The core facts, the chosen category's details and the errors (field name → message);
    `place` is the stored (province, city)."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}

    def take(name: str, reader: Any) -> None:
        try:
            values[name] = reader(form.get(name, ""))
        except Invalid as exc:
            errors[name] = str(exc)

    take("category", lambda raw: choice(CaseCategory, raw))
    take("urgency", lambda raw: choice(Urgency, raw))
    for name, limit in TEXT_LIMITS.items():
        take(name, lambda raw, limit=limit: raw.strip()[:limit] or None)
    typed = (values.get("work_province"), values.get("work_city"))
    try:
        # An untouched place is left as stored (older cases hold '广东省', '深圳市').
        if typed != place:
            values["work_province"], values["work_city"] = read_place(*typed)
    except Invalid as exc:
        errors["work_city"] = str(exc)
    take("amount_owed", read_amount)
    take("months_unpaid", lambda raw: read_int(raw, 0, MAX_MONTHS))
    take("people_affected", lambda raw: read_int(raw, 1, MAX_PEOPLE) or 1)
    values["people_approximate"] = form.get("people_approximate") == "1"
    details: dict[str, Any] = {}
    for detail in DETAILS.get(values.get("category", CaseCategory.UNKNOWN), ()):
        try:
            details[detail.key] = read_detail(detail, form.get(f"d_{detail.key}", ""))
        except Invalid as exc:
            errors[f"d_{detail.key}"] = str(exc)
    return values, details, errors


def shown(name: str, value: Any) -> str:
    """A value as the timeline writes it: words, not codes; '—' for nothing."""
    if value is None or value == "":
        return "—"
    if name == "category":
        return CATEGORY_NAMES["en"][CaseCategory(value)]
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return f"¥{value:,.2f}".replace(".00", "")
    text = str(value).replace("\n", " ")
    return text if len(text) <= 80 else text[:79] + "…"


def record(case: Case, user: User, word: str, name: str, old: Any, new: Any) -> None:
    """One change on the timeline, in words; who made it is the entry's actor, which the
    timeline shows beside it ("Staff 李四 changed wages owed from “¥3,000” to “¥5,000”")."""
    case.log(EventKind.NOTE, f"changed {word} from “{shown(name, old)}” to "
             f"“{shown(name, new)}”", actor=user.actor,
             data={"edit": name, "by": user.username})


def apply(session: Session, case: Case, user: User, values: dict[str, Any],
          details: dict[str, Any]) -> list[str]:
    """Write the changed facts and details on the case and its timeline; the words changed."""
    changed: list[str] = []
    for name, word in WORDS.items():
        old, new = getattr(case, name), values[name]
        if name == "amount_owed" and old is not None:
            old = Decimal(old).quantize(Decimal("0.01"))
        if old == new or (name == "category" and old == CaseCategory.UNKNOWN):
            continue  # leaving UNKNOWN is categorise's work (see look_again)
        record(case, user, word, name, old, new)
        setattr(case, name, new)
        changed.append(word)
    if values["category"] != CaseCategory.UNKNOWN and case.category == CaseCategory.UNKNOWN:
        record(case, user, "category", "category", case.category, values["category"])
        changed.append("category")
    merged = dict(case.details or {})
    for detail in DETAILS.get(values["category"], ()):
        old, new = merged.get(detail.key), details.get(detail.key)
        if old == new:
            continue
        money = detail.kind == "money"  # the timeline says ¥3,000, not 3000
        record(case, user, detail.word, detail.key, Decimal(old) if money and old else old,
               Decimal(new) if money and new is not None else new)
        if new is None:
            merged.pop(detail.key, None)
        else:
            merged[detail.key] = new
        changed.append(detail.word)
    case.details = merged  # a new dict: the JSON column sees the change
    return changed


def look_again(session: Session, case: Case, user: User, before: tuple[Any, ...],
               category: CaseCategory) -> None:
    """After a correction, routing and collective detection look at the case again: a case
    leaving UNKNOWN is categorised (and so routed), a new place may change the queue of a
    case not yet offered, a new employer may make a collective dispute, and a case that
    became urgent is routed on the urgent queue (more volunteers offered at once)."""
    old_category, old_urgency, old_employer, old_province, old_city = before
    now = utcnow()
    if old_category == CaseCategory.UNKNOWN and category != CaseCategory.UNKNOWN:
        categorise(session, case, category, user.actor)
    if (case.work_province, case.work_city) != (old_province, old_city) \
            and case.status == CaseStatus.NEW:
        settle_organisation(session, case)
    if case.employer and case.employer != old_employer and case.is_open:
        check_collective(session, case, now)
    mark_urgent_if_needed(case)
    sorted_out = case.category != CaseCategory.UNKNOWN and case.triage_at is None
    if case.urgency == Urgency.URGENT and old_urgency != Urgency.URGENT and sorted_out:
        if case.status == CaseStatus.NEW:
            route_after_commit(session, case)
        elif case.status == CaseStatus.OFFERED:
            offer_case(session, case, now, top_up=True)


def form_values(case: Case) -> dict[str, Any]:
    """The case as the form shows it."""
    amount = case.amount_owed
    values: dict[str, Any] = {
        "category": str(case.category), "urgency": str(case.urgency),
        "work_province": case.work_province or "", "work_city": case.work_city or "",
        "employer": case.employer or "", "summary": case.summary or "",
        "amount_owed": "" if amount is None else f"{Decimal(amount):f}".removesuffix(".00"),
        "months_unpaid": "" if case.months_unpaid is None else str(case.months_unpaid),
        "people_affected": str(case.people_affected or 1),
        "people_approximate": case.people_approximate}
    for key, value in (case.details or {}).items():
        values[f"d_{key}"] = ("yes" if value else "no") if isinstance(value, bool) else \
            _in_date_input(str(value))
    return values


def _in_date_input(value: str) -> str:
    # A month the worker gave without a day ('2026-11') shows as its first day: a date input
    # takes nothing else, and the form saved unchanged must not drop it.
    found = stored_date(value)
    return found[0].isoformat() if found is not None and found[1] else value


def render_form(case: Case, values: dict[str, Any], errors: dict[str, str],
                status: int = 200) -> Any:
    """The edit form with every error next to its field."""
    return render_template("staff/case_edit.html", case=case, values=values, errors=errors,
                           categories=list(CaseCategory), details=DETAILS,
                           insurance_kinds=INSURANCE_KINDS, today=today().isoformat()), status


@bp.get("/<int:number>/edit")
def edit(number: int) -> Any:
    """The form with every fact of the case and its problem's details."""
    user = signed_in_user()
    with get_db().begin() as session:
        case = case_or_404(session, user, number)
        return render_form(case, form_values(case), {})


@bp.post("/<int:number>/edit")
def save(number: int) -> Any:
    """Check every field; save the changes, or show each error and keep what was typed."""
    user = signed_in_user()
    with get_db().begin() as session:
        case = case_or_404(session, user, number, lock=True)
        values, details, errors = read_form(request.form, (case.work_province, case.work_city))
        if errors:
            flash(_("Nothing was saved: correct the fields marked below."), "error")
            return render_form(case, request.form.to_dict(), errors, 400)
        before = (case.category, case.urgency, case.employer, case.work_province,
                  case.work_city)
        changed = apply(session, case, user, values, details)
        if not changed:
            flash(_("Nothing changed."), "info")
            return redirect(url_for("staff.case_page", number=number), code=303)
        look_again(session, case, user, before, values["category"])
        audit(session, user, AuditAction.EDIT_CASE, case=case,
              detail="changed " + ", ".join(changed))
        session.flush()
        still_mine = session.scalar(select(Case.id).where(
            Case.id == case.id, case_scope(user))) is not None
    flash(_("Saved: %(n)s change(s) are on the timeline.", n=len(changed)), "info")
    if not still_mine:  # routing moved it to another office's queue
        flash(_("The case is now in another office's queue."), "info")
        return redirect(url_for("staff.cases"), code=303)
    return redirect(url_for("staff.case_page", number=number) + "#timeline", code=303)
