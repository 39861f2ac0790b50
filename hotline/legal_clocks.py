"""Legal deadlines of a case (limitation periods): computed, shown, reminded.

The rules live in hotline/legal_clocks.yaml (each with its law, article and text, its English
title and explanation, reminder lead times), so a lawyer can correct them without touching code;
they are loaded with yaml.safe_load and validated at load (`LegalRulesError` names the rule).
Their texts are message ids of the gettext catalogues (context "legal:<field>", found by
hotline.translations.extract), read in a contact's or page's language through
hotline.translations.text.

Stable API (the case page, the offer SMS and the sweeper call these):

- `deadlines_for(case, today) -> list[LegalDeadline]`: pure, no session; reads case.category,
  case.details and case.created_at. One entry per rule of the case's category, in file order.
  `LegalDeadline`: rule_id, state ("running", "passed", "not_running", "needs_info", "done"),
  due (date | None), days_left (int | None; 0 = due today, negative once passed),
  informational (the employer's duty: shown, never reminded), source (law and article),
  source_text, and title(lang), explanation(lang), question(lang) (what to ask the worker when
  the state is "needs_info"), summary(lang) (one line for the case page).
- `nearest_deadline(case, today) -> LegalDeadline | None`: the soonest running deadline that is
  the worker's own (informational ones left out).
- `offer_note(case, lang, body) -> str`: "仲裁时效剩23天" for the offer SMS when that deadline is
  within OFFER_NOTE_DAYS, or "" (also "" when `body` plus the note would not fit 2 SMS).
- The sweeper's reminders are in `hotline.deadline_reminders` (they send texts: this module
  only computes, so the texts and the offer SMS can read it without importing routing).
- `local_today(now) -> date`: the hotline's calendar day (HOTLINE_TIMEZONE).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from flask import current_app, has_app_context

from hotline.translations import NP_, translate
from ivr_flows.parse import stored_date
from models import Case, CaseCategory, utcnow
from notifications.segments import count_segments

RULES_FILE = Path(__file__).with_name("legal_clocks.yaml")
STATES = frozenset({"running", "passed", "not_running", "needs_info", "done"})
OFFER_NOTE_DAYS = 60  # the offer SMS names a deadline this close
RULE_KEYS = {"id", "categories", "starts", "duration", "remind_days", "title", "short",
             "explanation", "needs_info", "source", "done_when", "informational"}
REQUIRED = RULE_KEYS - {"done_when", "informational"}
DURATION = re.compile(r"^\s*(\d+)\s*(year|month|day)s?\s*$")
FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
TEXT_FIELDS = ("title", "short", "explanation", "needs_info")  # catalogue context legal:<field>
# Where a deadline stands, as the case page says it (context "legal")...
SUMMARIES = {
    "today": NP_("legal", "ends today (%(due)s)"),
    "running": NP_("legal", "ends %(due)s, %(days)s days left"),
    "passed": NP_("legal", "ended %(due)s"),
    "not_running": NP_("legal", "not running while still employed"),
    "done": NP_("legal", "done: already applied"),
    "needs_info": NP_("legal", "needs information: %(question)s"),
}
# ...and as the offer SMS names a close one ("arbitration deadline in 23 days").
OFFER_NOTES = {"today": NP_("legal", "%(short)s today"),
               "running": NP_("legal", "%(short)s in %(days)s days")}


class LegalRulesError(ValueError):
    """legal_clocks.yaml is not valid: the message names the rule and the field."""


@dataclass(frozen=True)
class Rule:
    """One limitation period as the YAML file declares it."""

    id: str
    categories: frozenset[str]
    date_field: str  # the case detail its clock starts from
    employment_ends: bool  # wages: not running while employed, then from left_on
    years: int
    months: int
    days: int
    remind_days: tuple[int, ...]
    # title / short / explanation / needs_info -> English; not hashed, so deadlines can be
    texts: dict[str, str] = field(hash=False)
    source: dict[str, str] = field(hash=False)
    done_when: str | None = None
    informational: bool = False

    def text(self, name: str, lang: str) -> str:
        """One of the rule's texts in `lang` ("zh", "en" or a catalogue's locale; Simplified
        Chinese for a language without a catalogue)."""
        return translate(lang, self.texts[name], f"legal:{name}")


@dataclass(frozen=True)
class LegalDeadline:
    """Where one legal deadline of a case stands on a given day."""

    rule_id: str
    state: str
    due: date | None
    days_left: int | None
    source: str
    source_text: str
    informational: bool
    rule: Rule

    def title(self, lang: str = "zh") -> str:
        """The deadline's name (case page, reminders)."""
        return self.rule.text("title", lang)

    def explanation(self, lang: str = "zh") -> str:
        """What the clock means, in plain words."""
        return self.rule.text("explanation", lang)

    def question(self, lang: str = "zh") -> str | None:
        """What to ask the worker when the state is needs_info; None otherwise."""
        return self.rule.text("needs_info", lang) if self.state == "needs_info" else None

    def summary(self, lang: str = "zh") -> str:
        """One line for the case page: the state with its date and days."""
        state = "today" if self.state == "running" and self.days_left == 0 else self.state
        return translate(lang, SUMMARIES[state], "legal") % {
            "due": self.due.isoformat() if self.due else "", "days": self.days_left,
            "question": self.question(lang) or ""}


# --- rules file -------------------------------------------------------------------------

def _text(rule_id: str, raw: dict[str, Any], name: str) -> str:
    value = raw.get(name)
    if not isinstance(value, str) or not value.strip():
        raise LegalRulesError(f"legal deadline rule {rule_id!r}: {name!r} needs a non-empty "
                              "English text (its translations are in the catalogues)")
    return value.strip()


def parse_rule(raw: Any, index: int) -> Rule:
    """One rule of the file, checked; LegalRulesError names the rule and what is wrong."""
    if not isinstance(raw, dict):
        raise LegalRulesError(f"legal deadline rule #{index + 1} is not a mapping")
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not FIELD_NAME.match(rule_id):
        raise LegalRulesError(f"legal deadline rule #{index + 1}: 'id' must be a short name "
                              "(letters, digits, _)")
    name = f"legal deadline rule {rule_id!r}"
    unknown, missing = set(raw) - RULE_KEYS, REQUIRED - set(raw)
    if unknown:
        raise LegalRulesError(f"{name}: unknown field(s) {', '.join(sorted(unknown))}")
    if missing:
        raise LegalRulesError(f"{name}: missing field(s) {', '.join(sorted(missing))}")
    categories = raw["categories"]
    known = {c.value for c in CaseCategory}
    if not isinstance(categories, list) or not categories or not set(categories) <= known:
        raise LegalRulesError(f"{name}: 'categories' must list some of {', '.join(sorted(known))}")
    starts = raw["starts"]
    if starts == {"employment_ends": True}:
        date_field, employment_ends = "left_on", True
    elif (isinstance(starts, dict) and set(starts) == {"date_field"}
          and isinstance(starts["date_field"], str) and FIELD_NAME.match(starts["date_field"])):
        date_field, employment_ends = starts["date_field"], False
    else:
        raise LegalRulesError(f"{name}: 'starts' must be {{date_field: <detail>}} or "
                              "{employment_ends: true}")
    match = DURATION.match(str(raw["duration"]))
    if match is None or int(match.group(1)) == 0:
        raise LegalRulesError(f"{name}: duration {raw['duration']!r} is not like '1 year', "
                              "'6 months' or '30 days'")
    amount, unit = int(match.group(1)), match.group(2)
    remind = raw["remind_days"]
    if not isinstance(remind, list) or not all(isinstance(n, int) and not isinstance(n, bool)
                                               and n >= 0 for n in remind):
        raise LegalRulesError(f"{name}: 'remind_days' must be a list of whole days, e.g. [30, 7]")
    source = raw["source"]
    if not isinstance(source, dict) or not all(isinstance(source.get(k), str) and source[k]
                                               for k in ("law", "article", "text")):
        raise LegalRulesError(f"{name}: 'source' needs 'law', 'article' and 'text'")
    done_when = raw.get("done_when")
    if done_when is not None and not (isinstance(done_when, str) and FIELD_NAME.match(done_when)):
        raise LegalRulesError(f"{name}: 'done_when' must name a yes/no case detail")
    if not isinstance(raw.get("informational", False), bool):
        raise LegalRulesError(f"{name}: 'informational' must be true or false")
    return Rule(id=rule_id, categories=frozenset(categories), date_field=date_field,
                employment_ends=employment_ends, years=amount if unit == "year" else 0,
                months=amount if unit == "month" else 0, days=amount if unit == "day" else 0,
                remind_days=tuple(sorted(set(remind), reverse=True)),
                texts={k: _text(rule_id, raw, k) for k in TEXT_FIELDS},
                source={k: str(v) for k, v in source.items()}, done_when=done_when,
                informational=bool(raw.get("informational", False)))


def parse_rules(text: str) -> tuple[Rule, ...]:
    """All rules of a YAML document, checked (ids unique)."""
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise LegalRulesError("legal deadline rules: the file needs a 'rules:' list")
    rules = tuple(parse_rule(raw, i) for i, raw in enumerate(data["rules"]))
    ids = [r.id for r in rules]
    if len(set(ids)) != len(ids):
        raise LegalRulesError(f"legal deadline rules: an id is used twice in {ids}")
    return rules


@cache
def load_rules() -> tuple[Rule, ...]:
    """The rules of hotline/legal_clocks.yaml, read and checked once."""
    return parse_rules(RULES_FILE.read_text(encoding="utf-8"))


# --- computing --------------------------------------------------------------------------

def add_period(start: date, years: int = 0, months: int = 0, days: int = 0) -> date:
    """start + period, counted as 民法典 第二百条/第二百零一条 do: the starting day does not count,
    the period ends on the corresponding day (the month's last day when there is none)."""
    total = start.year * 12 + start.month - 1 + years * 12 + months
    year, month = divmod(total, 12)
    day = min(start.day, calendar.monthrange(year, month + 1)[1])
    return date(year, month + 1, day) + timedelta(days=days)


def read_date(value: Any) -> date | None:
    """An ISO 'YYYY-MM-DD' detail (or a date) as a date; None for anything else."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    # Exactly YYYY-MM-DD (fromisoformat would also take '20250710'), or YYYY-MM when only the
    # month was said: its first day, so a deadline is never later than the law's.
    found = stored_date(value)
    return found[0] if found is not None else None


def _deadline(rule: Rule, state: str, due: date | None, today: date) -> LegalDeadline:
    src = rule.source
    return LegalDeadline(rule_id=rule.id, state=state, due=due,
                         days_left=(due - today).days if due is not None else None,
                         source=f"《{src['law']}》{src['article']}", source_text=src["text"],
                         informational=rule.informational, rule=rule)


def evaluate(rule: Rule, details: dict[str, Any], today: date) -> LegalDeadline:
    """Where one rule stands for these case details on `today`."""
    if rule.done_when and details.get(rule.done_when) is True:
        return _deadline(rule, "done", None, today)
    start = read_date(details.get(rule.date_field))
    if start is None:
        # A known date outranks "still employed": a left_on means the job has ended.
        employed = rule.employment_ends and details.get("still_employed") is True
        return _deadline(rule, "not_running" if employed else "needs_info", None, today)
    due = add_period(start, rule.years, rule.months, rule.days)
    return _deadline(rule, "running" if due >= today else "passed", due, today)


def deadlines_for(case: Case, today: date) -> list[LegalDeadline]:
    """Every legal deadline of the case's category on `today` (pure: reads the case only)."""
    details = case.details if isinstance(case.details, dict) else {}
    category = str(case.category)
    return [evaluate(rule, details, today) for rule in load_rules()
            if category in rule.categories]


def nearest_deadline(case: Case, today: date) -> LegalDeadline | None:
    """The soonest running deadline that is the worker's own; None if there is none."""
    running = [d for d in deadlines_for(case, today)
               if d.state == "running" and not d.informational and d.due is not None]
    return min(running, key=lambda d: (d.due, d.rule_id)) if running else None


def local_today(now: datetime | None = None) -> date:
    """The hotline's calendar day (HOTLINE_TIMEZONE, China time by default)."""
    zone = (current_app.config.get("HOTLINE_TIMEZONE") if has_app_context() else None)
    return (now or utcnow()).astimezone(ZoneInfo(zone or "Asia/Shanghai")).date()


def offer_note(case: Case, lang: str, body: str = "") -> str:
    """'仲裁时效剩23天' / 'arbitration deadline in 23 days' when the nearest deadline is within
    OFFER_NOTE_DAYS, else ''; also '' when `body` with the note would not fit 2 SMS."""
    nearest = nearest_deadline(case, local_today())
    if nearest is None or nearest.days_left is None or nearest.days_left > OFFER_NOTE_DAYS:
        return ""
    days = nearest.days_left
    note = translate(lang, OFFER_NOTES["today" if days == 0 else "running"], "legal") % {
        "short": nearest.rule.text("short", lang), "days": days}
    return note if count_segments(f"{body} {note}").segments <= 2 else ""
