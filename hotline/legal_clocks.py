"""Legal deadlines of a case (limitation periods): computed, shown, reminded.

The rules live in hotline/legal_clocks.yaml (each with its law, article and text, Chinese and
English titles, reminder lead times), so a lawyer can correct them without touching code; they
are loaded with yaml.safe_load and validated at load (`LegalRulesError` names the rule).

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
- `remind_legal_deadlines(now) -> dict[str, int]`: the sweeper's part. Texts the case's
  volunteer (or, when no volunteer holds it, the on-duty staff) once per (rule, lead time),
  writes the timeline, records it in case.legal_reminders as {rule id: {"due": ISO date,
  "sent": [lead days], "passed_alert": bool}} (a corrected start date starts afresh), and alerts
  staff once when a deadline passes while the case is open (noticed within PASSED_WINDOW_DAYS).
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
from sqlalchemy import and_, or_, select

from models import OPEN_STATUSES, Case, CaseCategory, EventKind, Purpose, Volunteer, utcnow
from notifications.segments import count_segments

RULES_FILE = Path(__file__).with_name("legal_clocks.yaml")
STATES = frozenset({"running", "passed", "not_running", "needs_info", "done"})
OFFER_NOTE_DAYS = 60  # the offer SMS names a deadline this close
PASSED_WINDOW_DAYS = 30  # a deadline that passed this long ago is no longer alerted by the sweep
BATCH = 200
RULE_KEYS = {"id", "categories", "starts", "duration", "remind_days", "title", "short",
             "explanation", "needs_info", "source", "done_when", "informational"}
REQUIRED = RULE_KEYS - {"done_when", "informational"}
DURATION = re.compile(r"^\s*(\d+)\s*(year|month|day)s?\s*$")
FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


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
    # title / short / explanation / needs_info -> {zh, en}; not hashed, so deadlines can be
    texts: dict[str, dict[str, str]] = field(hash=False)
    source: dict[str, str] = field(hash=False)
    done_when: str | None = None
    informational: bool = False

    def text(self, name: str, lang: str) -> str:
        """One of the rule's texts in `lang` (Chinese when there is no such language)."""
        variants = self.texts[name]
        return variants.get(lang) or variants["zh"]


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
        due, days, zh = (self.due.isoformat() if self.due else ""), self.days_left, lang == "zh"
        if self.state == "running" and days == 0:
            return f"今天（{due}）届满" if zh else f"ends today ({due})"
        if self.state == "running":
            return f"{due}届满，还剩{days}天" if zh else f"ends {due}, {days} days left"
        if self.state == "passed":
            return f"已于{due}届满" if zh else f"ended {due}"
        if self.state == "not_running":
            return "在职期间不计算时效" if zh else "not running while still employed"
        if self.state == "done":
            return "已申请" if zh else "done: already applied"
        return "需要补充信息：" + (self.question("zh") or "") if zh else \
            "needs information: " + (self.question("en") or "")


# --- rules file -------------------------------------------------------------------------

def _texts(rule_id: str, raw: dict[str, Any], name: str) -> dict[str, str]:
    value = raw.get(name)
    if not isinstance(value, dict) or not all(isinstance(value.get(k), str) and value[k].strip()
                                              for k in ("zh", "en")):
        raise LegalRulesError(f"legal deadline rule {rule_id!r}: {name!r} needs non-empty "
                              "'zh' and 'en' texts")
    return {k: str(v).strip() for k, v in value.items()}


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
                texts={k: _texts(rule_id, raw, k)
                       for k in ("title", "short", "explanation", "needs_info")},
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
    try:  # exactly YYYY-MM-DD (fromisoformat would also take '20250710')
        return date.fromisoformat(value.strip()) if len(value.strip()) == 10 else None
    except ValueError:
        return None


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
    from flask import current_app, has_app_context

    zone = (current_app.config.get("HOTLINE_TIMEZONE") if has_app_context() else None)
    return (now or utcnow()).astimezone(ZoneInfo(zone or "Asia/Shanghai")).date()


def offer_note(case: Case, lang: str, body: str = "") -> str:
    """'仲裁时效剩23天' / 'arbitration deadline in 23 days' when the nearest deadline is within
    OFFER_NOTE_DAYS, else ''; also '' when `body` with the note would not fit 2 SMS."""
    nearest = nearest_deadline(case, local_today())
    if nearest is None or nearest.days_left is None or nearest.days_left > OFFER_NOTE_DAYS:
        return ""
    short, days = nearest.rule.text("short", lang), nearest.days_left
    if lang == "en":
        note = f"{short} today" if days == 0 else f"{short} in {days} days"
    else:
        note = f"{short}今天届满" if days == 0 else f"{short}剩{days}天"
    return note if count_segments(f"{body} {note}").segments <= 2 else ""


# --- reminders (the sweeper) ------------------------------------------------------------

def _window(rule: Rule, today: date) -> Any:
    """SQL: the case's start date could put this rule's deadline between PASSED_WINDOW_DAYS ago
    and its longest reminder lead ahead (ISO strings compare as dates; Python decides exactly)."""
    back = (-rule.years, -rule.months, -rule.days)
    lead = max(rule.remind_days, default=0)
    low = add_period(today - timedelta(days=PASSED_WINDOW_DAYS + 3), *back)
    high = add_period(today + timedelta(days=lead + 3), *back)
    start = Case.details[rule.date_field].as_string()
    return and_(Case.category.in_(sorted(rule.categories)), start >= low.isoformat(),
                start <= high.isoformat())


def remind_legal_deadlines(now: datetime | None = None) -> dict[str, int]:
    """Text reminders for open cases whose legal deadline reaches a lead time; alert staff
    once for a deadline that passed while the case was open. Returns counts."""
    from hotline.db import get_db

    now = now or utcnow()
    today = local_today(now)
    rules = [r for r in load_rules() if not r.informational]
    counts = {"legal_reminded": 0, "legal_staff_reminded": 0, "legal_passed": 0}
    last_id = 0
    while rules:
        with get_db().begin() as session:
            # Read without locks (most cases in the window have nothing due today); lock only
            # the few that do, skipping any another worker holds (the next sweep takes them).
            cases = session.scalars(select(Case).where(
                Case.id > last_id, Case.status.in_(OPEN_STATUSES),
                or_(*(_window(r, today) for r in rules))).order_by(Case.id).limit(BATCH)).all()
            due = [c.id for c in cases if pending(c, today)]
            if due:
                locked = session.scalars(select(Case).where(
                    Case.id.in_(due), Case.status.in_(OPEN_STATUSES)).order_by(Case.id)
                    .with_for_update(skip_locked=True)
                    .execution_options(populate_existing=True)).all()
                for case in locked:
                    for key, n in remind_case(session, case, today).items():
                        counts[key] += n
        if len(cases) < BATCH:
            break
        last_id = cases[-1].id
    return counts


def pending(case: Case, today: date) -> list[tuple[LegalDeadline, str, dict[str, Any]]]:
    """What the case's deadlines need today: (deadline, "remind" | "passed", its new record)."""
    reminders = case.legal_reminders or {}
    opened = local_today(case.created_at) if case.created_at else today
    out: list[tuple[LegalDeadline, str, dict[str, Any]]] = []
    for deadline in deadlines_for(case, today):
        if deadline.informational or deadline.due is None or deadline.days_left is None:
            continue
        due = deadline.due.isoformat()
        record = dict(reminders.get(deadline.rule_id) or {})
        if record.get("due") != due:  # a new or corrected start date: its own reminders
            record = {"due": due, "sent": [], "passed_alert": False}
        if deadline.state == "running":
            leads = {n for n in deadline.rule.remind_days if deadline.days_left <= n}
            if leads - set(record["sent"]):
                record["sent"] = sorted(leads | set(record["sent"]), reverse=True)
                out.append((deadline, "remind", record))
        elif not record.get("passed_alert") and deadline.due >= opened:
            out.append((deadline, "passed", {**record, "passed_alert": True}))
    return out


def remind_case(session: Any, case: Case, today: date) -> dict[str, int]:
    """Send what one case's deadlines need today; record it in case.legal_reminders."""
    counts = {"legal_reminded": 0, "legal_staff_reminded": 0, "legal_passed": 0}
    reminders = dict(case.legal_reminders or {})
    for deadline, action, record in pending(case, today):
        if action == "remind":
            counts[_send_reminder(session, case, deadline)] += 1
        else:
            _alert_passed(session, case, deadline)
            counts["legal_passed"] += 1
        reminders[deadline.rule_id] = record
    if reminders != (case.legal_reminders or {}):
        case.legal_reminders = reminders  # a new dict: SQLAlchemy does not track JSON mutation
    return counts


def _send_reminder(session: Any, case: Case, deadline: LegalDeadline) -> str:
    """Text the volunteer holding the case, or the on-duty staff; return the counter bumped."""
    from hotline.replies import say
    from hotline.routing import alert_staff, queue_sms, send_after_commit

    assert deadline.due is not None and deadline.days_left is not None
    due, days = deadline.due.isoformat(), deadline.days_left
    data = {"legal_deadline": deadline.rule_id, "due": due, "days_left": days}
    volunteer = (session.get(Volunteer, case.assigned_volunteer_id)
                 if case.assigned_volunteer_id else None)
    if volunteer is None:
        ids = alert_staff(session, case, "staff_legal_deadline", title=deadline.title("zh"),
                          due=due, days=days)
        case.log(EventKind.NOTE, f"legal deadline reminder sent to staff (nobody holds the "
                 f"case): {deadline.title('en')} ends {due} ({days} days left)",
                 data={**data, "texted": len(ids)})
        return "legal_staff_reminded"
    lang = volunteer.reply_language
    key = "legal_deadline_today" if days == 0 else "legal_deadline_reminder"
    msg = queue_sms(session, to=volunteer.phone, body=say(key, lang, number=case.number,
                                                          title=deadline.title(lang), due=due,
                                                          days=days),
                    purpose=Purpose.ALERT, case=case, volunteer_id=volunteer.id)
    case.log(EventKind.NOTE, f"legal deadline reminder sent to {volunteer.name}: "
             f"{deadline.title('en')} ends {due} ({days} days left)", message_id=msg.id,
             data=data)
    send_after_commit(session, [msg.id], urgent=days <= 7)
    return "legal_reminded"


def _alert_passed(session: Any, case: Case, deadline: LegalDeadline) -> None:
    """Tell staff a deadline passed while the case was open (once; the sweep records it)."""
    from hotline.routing import alert_staff

    assert deadline.due is not None
    due = deadline.due.isoformat()
    ids = alert_staff(session, case, "staff_legal_deadline_passed", title=deadline.title("zh"),
                      due=due)
    case.log(EventKind.NOTE, f"legal deadline passed while the case was open: "
             f"{deadline.title('en')} ended {due}; staff alerted",
             data={"legal_deadline": deadline.rule_id, "due": due, "texted": len(ids)})


# The Chinese console's forms of the timeline texts above (hotline/web/catalogue_events_zh.py
# merges them); `key` is a rule title, translated through ZH_LEGAL_WORDS.
ZH_LEGAL_EVENTS: list[tuple[str, str]] = [
    (r"legal deadline reminder sent to staff \(nobody holds the case\): (?P<key>.+) ends "
     r"(?P<due>[\d-]+) \((?P<n>-?\d+) days left\)",
     "法律时效提醒已发给工作人员（案件无人负责）：{key}于{due}届满（还剩{n}天）"),
    (r"legal deadline reminder sent to (?P<name>.+): (?P<key>.+) ends (?P<due>[\d-]+) "
     r"\((?P<n>-?\d+) days left\)", "法律时效提醒已发给{name}：{key}于{due}届满（还剩{n}天）"),
    (r"legal deadline passed while the case was open: (?P<key>.+) ended (?P<due>[\d-]+); "
     r"staff alerted", "案件办理期间法律时效已届满：{key}已于{due}届满，已通知工作人员"),
]


def zh_legal_words() -> dict[str, str]:
    """Rule titles (English -> Chinese) and the alert keys, for the timeline's Chinese form."""
    words = {"staff_legal_deadline": "法律时效提醒",
             "staff_legal_deadline_passed": "法律时效届满提醒"}
    words.update({r.text("title", "en"): r.text("title", "zh") for r in load_rules()})
    return words
