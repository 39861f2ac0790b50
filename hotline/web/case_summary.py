"""The case page's summary card: what the worker told us, in words, only what applies.

Each category has its own fields (an injury case never shows wages owed); yes/no answers,
dates and counts are said in words, never as `True` or an ISO date; a field nobody answered
is left out rather than shown as a dash.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from hotline.disputes import Dispute
from hotline.legal_clocks import deadlines_for
from hotline.web.i18n import category_name, current_language, status_name
from hotline.web.i18n import gettext as _
from ivr_flows.engine import shown_date
from ivr_flows.parse import stored_date
from models import Case, CaseCategory, Urgency

WAGE_CATEGORIES = (CaseCategory.WAGES, CaseCategory.COLLECTIVE)
# Province and city suffixes a worker may add or leave out: "广东省深圳市" says the same
# place as the normalised "广东 深圳", so the worker's words are only shown when they differ.
PLACE_SUFFIX = re.compile(r"[省市县区]|自治区|壮族|回族|维吾尔|特别行政区|\s")


@dataclass
class Fact:
    """One line of the summary card: a label and its value in words (css marks emphasis)."""

    label: str
    value: str
    note: str = ""
    css: str = ""
    items: list[dict[str, str]] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)  # (text, url or "" for none)


def yes_no(value: Any, yes: str, no: str) -> str | None:
    """A stored yes/no answer in words; None when it was not answered."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = value.strip().lower() in ("true", "1", "yes", "y", "是")
    return yes if value else no


def day_words(value: Any) -> str | None:
    """An ISO date as people write it ('2026年11月2日' / '2 Nov 2026'), a month the worker
    gave without a day as a month ('2026年11月' / 'Nov 2026'); text kept as is."""
    if not value:
        return None
    # As the intake reads a date back to the worker (one wording of dates, not two).
    iso = value.isoformat() if isinstance(value, date) else str(value)[:10]
    return shown_date(iso, current_language()) if stored_date(iso) else str(value)


def money_words(value: Decimal | None) -> str:
    """Yuan with thousands separators."""
    return "" if value is None else f"¥{value:,.2f}".replace(".00", "")


def people_words(count: int, approximate: bool) -> str:
    """'5人', '约12人' / '5 people', 'about 12 people'."""
    if approximate:
        return _("about %(n)s people", n=count)
    return _("%(n)s people", n=count)


def place_words(case: Case) -> tuple[str, str]:
    """The normalised place, and the worker's own words when they say something else."""
    place = " ".join(p for p in (case.work_province, case.work_city) if p)
    said = (case.place_said or "").strip()
    if not said:
        return place, ""
    if PLACE_SUFFIX.sub("", said) == PLACE_SUFFIX.sub("", place):
        return place or said, ""
    return place or said, said if place else ""


def detail_facts(case: Case) -> list[Fact]:
    """The category's own intake answers (case.details), only those known, in words."""
    d = dict(case.details or {})
    rows: list[tuple[str, str | None]] = []
    if case.category in WAGE_CATEGORIES:
        rows += [(_("Still employed"), yes_no(d.get("still_employed"), _("yes, still working"),
                                              _("no, has left"))),
                 (_("Left the job on"), day_words(d.get("left_on")))]
    elif case.category == CaseCategory.INJURY:
        rows += [(_("Injured on"), day_words(d.get("injured_on"))),
                 (_("Where it happened"), str(d["injury_place"]) if d.get("injury_place")
                  else None),
                 (_("In hospital"), yes_no(d.get("in_hospital"), _("yes"), _("no"))),
                 (_("Employer pays treatment"), yes_no(d.get("employer_pays_treatment"),
                                                       _("yes"), _("no"))),
                 (_("Treatment paid by the worker so far"),
                  money_words(Decimal(d["medical_costs"])) if d.get("medical_costs") else None),
                 (_("Work-injury recognition"), yes_no(d.get("injury_claim_filed"),
                                                       _("applied for"), _("not applied for")))]
    elif case.category == CaseCategory.CONTRACT:
        rows += [(_("Still employed"), yes_no(d.get("still_employed"), _("yes, still working"),
                                              _("no, has left"))),
                 (_("Dismissed or contract ended on"), day_words(d.get("dismissed_on"))),
                 (_("Written contract"), yes_no(d.get("written_contract"), _("has one"),
                                                _("no written contract")))]
    elif case.category == CaseCategory.SOCIAL_INSURANCE:
        months = d.get("insurance_months")
        rows += [(_("Insurance"), str(d["insurance_kind"]) if d.get("insurance_kind") else None),
                 (_("Months not paid in"), _("%(n)s months", n=months) if months else None)]
    return [Fact(label, value) for label, value in rows if value]


def deadline_facts(case: Case, today: date) -> list[dict[str, str]]:
    """The case's legal deadlines (hotline.legal_clocks), in words."""
    lang = current_language()
    shown = []
    for clock in deadlines_for(case, today):
        state = str(clock.state)
        if state == "running":
            when = _("%(n)s days left (until %(day)s)", n=clock.days_left, day=day_words(clock.due))
        elif state == "passed":
            when = _("passed on %(day)s", day=day_words(clock.due))
        elif state == "needs_info":
            asked = clock.question(lang)
            when = _("needs information") + (f"：{asked}" if asked and lang == "zh" else
                                              f": {asked}" if asked else "")
        elif state == "done":
            when = _("done")
        else:
            when = _("not running")
        shown.append({"title": clock.title(lang), "when": when, "state": state,
                      "why": clock.explanation(lang) or "",
                      "source": clock.source or ""})
    return shown


def dispute_facts(case: Case, dispute: Dispute | None, link: Callable[[Case], str]
                  ) -> list[Fact]:
    """Where the case stands in its collective dispute: the cases of the dispute in this
    case's office (each a link where `link` gives one; another office's only counted) and
    what all its workers said they are owed."""
    if dispute is None:
        return []
    ours = [c for c in dispute.cases if c.organisation_id == case.organisation_id]
    links = [(_("#%(number)s (leads)", number=c.number) if c is dispute.lead
              else f"#{c.number}", "" if c is case else link(c)) for c in ours]
    elsewhere = len(dispute.cases) - len(ours)
    if elsewhere:
        links.append((_("and %(n)s at other organisations", n=elsewhere), ""))
    if case is dispute.lead:
        value = _("this case leads it, %(n)s cases in all", n=len(dispute.cases))
    else:
        value = _("led by case #%(number)s", number=dispute.lead.number)
    facts = [Fact(_("Collective dispute"), value, links=links)]
    owed = dispute.owed
    if owed is not None:
        said = sum(1 for c in dispute.cases if c.amount_owed is not None)
        note = "" if said == len(dispute.cases) else _(
            "%(n)s of the %(m)s workers said a sum", n=said, m=len(dispute.cases))
        facts.append(Fact(_("Owed to them all"), money_words(owed), note=note))
    return facts


def case_facts(case: Case, today: date, dispute: Dispute | None = None,
               link: Callable[[Case], str] = lambda _case: "") -> list[Fact]:
    """The summary card's lines for this case, most important first (a collective
    dispute's, `dispute_facts`, after its own worker's)."""
    facts = [Fact(_("Problem"), category_name(case.category), css="in-title")]
    place, said = place_words(case)
    if place:
        facts.append(Fact(_("Place of work"), place,
                          note=_("the worker said: %(words)s", words=said) if said else ""))
    if case.contact is not None and case.contact.home_province:
        facts.append(Fact(_("Hometown"), case.contact.home_province))
    if case.employer:
        facts.append(Fact(_("Employer"), case.employer))
    # Wages owed are shown on any case that has them: a hurt worker is often owed wages too.
    wages = case.category in WAGE_CATEGORIES or bool(case.amount_owed)
    if wages and case.amount_owed:
        months = _("%(n)s months", n=case.months_unpaid) if case.months_unpaid else ""
        # In a dispute the case's own sum is its worker's share; the total comes below.
        label = _("This worker is owed") if dispute is not None else _("Wages owed")
        facts.append(Fact(label, money_words(case.amount_owed), note=months))
    elif wages and case.months_unpaid:
        facts.append(Fact(_("Months unpaid"), _("%(n)s months", n=case.months_unpaid)))
    if case.people_affected > 1 or case.category in WAGE_CATEGORIES:
        facts.append(Fact(_("People affected"),
                          people_words(case.people_affected, case.people_approximate)))
    facts += dispute_facts(case, dispute, link)
    facts += detail_facts(case)
    if case.amount_recovered:
        facts.append(Fact(_("Recovered"), money_words(case.amount_recovered), css="ok"))
    deadlines = deadline_facts(case, today)
    if deadlines:
        facts.append(Fact(_("Legal deadlines"), "", items=deadlines))
    holder = case.assigned_volunteer.name if case.assigned_volunteer else _("nobody yet")
    facts.append(Fact(_("Held by"), holder))
    status = status_name(case.status)
    if case.urgency == Urgency.URGENT:
        facts.append(Fact(_("Status"), status, note=_("urgent"), css="urgent in-title"))
    else:
        facts.append(Fact(_("Status"), status, css="in-title"))
    return facts
