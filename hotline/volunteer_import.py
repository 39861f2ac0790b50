"""Import volunteers from a CSV file (Excel exports included); every bad row is named.

Columns (header row required; only name and phone must be filled):
    name, phone, languages, dialects, home_province, regions, skills, capacity, shifts,
    timezone, on_duty, organisation
Lists are separated by ; ； 、 ， , or | ("zh;en", "欠薪、工伤"); shifts look like
"mon-fri 09:00-18:00; sat 10:00-14:00" or "周一至周五 9:00-18:00；周六 10:00-14:00"
(models.volunteer.parse_shifts). A phone already known updates that volunteer.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.phones import InvalidPhone, normalize_phone
from hotline.replies import CATEGORY_NAMES
from models import CaseCategory, Organisation, Volunteer
from models.volunteer import (
    DEFAULT_TIMEZONE,
    DIALECT_ALIASES,
    canonical_dialect,
    check_timezone,
    parse_shifts,
)
from notifications.csv_rows import decode_csv, numbered_rows

COLUMNS = ("name", "phone", "languages", "dialects", "home_province", "regions", "skills",
           "capacity", "shifts", "timezone", "on_duty", "organisation")
REQUIRED = ("name", "phone")
LIST_SEPARATORS = re.compile(r"[;；、，,|]")
LANGUAGES = {"zh": "zh", "中文": "zh", "普通话": "zh", "mandarin": "zh", "chinese": "zh",
             "en": "en", "english": "en", "英语": "en", "英文": "en"}
LANGUAGE_CODES = tuple(dict.fromkeys(LANGUAGES.values()))  # what a volunteer's languages hold
SKILLS = {**{c.value: c.value for c in CaseCategory},
          **{name: c.value for c, name in CATEGORY_NAMES["zh"].items()},
          "合同": CaseCategory.CONTRACT.value, "辞退": CaseCategory.CONTRACT.value}
TRUE, FALSE = {"1", "yes", "y", "true", "是", "在岗", "on"}, {"", "0", "no", "n", "false",
                                                             "否", "off"}
MAX_CAPACITY = 50


@dataclass(frozen=True)
class RowError:
    """One problem in the file: its line, the column and what is wrong."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.column}: {self.message}"


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do)."""

    created: int = 0
    updated: int = 0
    organisations_created: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def split_list(text: str) -> list[str]:
    """'zh; en' / '欠薪、工伤' / '河南话，粤语' → items, blanks dropped."""
    return [p.strip() for p in LIST_SEPARATORS.split(text or "") if p.strip()]


def read_text(path: Path) -> str:
    """The file as text (see notifications.csv_rows.decode_csv; UnreadableCsv if it is not)."""
    return decode_csv(path.read_bytes())


def parse_row(row: dict[str, str], line: int) -> tuple[dict[str, Any], list[RowError]]:
    """Validate one CSV row into Volunteer fields, collecting every error in it."""
    errors: list[RowError] = []
    values: dict[str, Any] = {}

    def check(column: str, fn: Any) -> None:
        try:
            values[column] = fn((row.get(column) or "").strip())
        except ValueError as exc:
            errors.append(RowError(line, column, str(exc)))

    check("name", _name)
    check("phone", normalize_phone_or_error)
    check("languages", _languages)
    check("dialects", lambda t: [canonical_dialect(d) for d in split_list(t)])
    check("home_province", lambda t: t[:40] or None)
    check("regions", split_list)
    check("skills", _skills)
    check("capacity", _capacity)
    check("shifts", parse_shifts)
    check("timezone", lambda t: check_timezone(t or DEFAULT_TIMEZONE))
    check("on_duty", _flag)
    check("organisation", lambda t: t[:100] or None)
    if not errors:
        langs, dialects = values.pop("languages")
        values["languages"] = langs or ["zh"]
        values["dialects"] = sorted(set(values["dialects"]) | set(dialects))
    return values, errors


def normalize_phone_or_error(text: str) -> str:
    """E.164, or ValueError with the reason."""
    try:
        return normalize_phone(text)
    except InvalidPhone as exc:
        raise ValueError(str(exc)) from exc


def _name(text: str) -> str:
    if not text:
        raise ValueError("name is empty")
    return text[:100]


def _languages(text: str) -> tuple[list[str], list[str]]:
    langs, dialects = [], []
    for item in split_list(text):
        key = item.lower()
        if key in LANGUAGES:
            langs.append(LANGUAGES[key])
        elif key in DIALECT_ALIASES or item in DIALECT_ALIASES:
            dialects.append(canonical_dialect(item))  # "Henan" in languages is a dialect
        else:
            raise ValueError(f"unknown language {item!r} (zh, en, or a dialect in dialects)")
    return list(dict.fromkeys(langs)), dialects


def _skills(text: str) -> list[str]:
    unknown = [s for s in split_list(text) if s.lower() not in SKILLS and s not in SKILLS]
    if unknown:
        raise ValueError(f"unknown skill(s) {', '.join(unknown)}; use "
                         + ", ".join(c.value for c in CaseCategory if c != CaseCategory.UNKNOWN))
    return list(dict.fromkeys(SKILLS.get(s.lower(), SKILLS.get(s, s)) for s in split_list(text)))


def _capacity(text: str) -> int:
    if not text:
        return 3
    if not text.isdigit() or not 0 < int(text) <= MAX_CAPACITY:
        raise ValueError(f"capacity must be a whole number 1-{MAX_CAPACITY}, not {text!r}")
    return int(text)


def _flag(text: str) -> bool:
    if text.lower() in TRUE:
        return True
    if text.lower() in FALSE:
        return False
    raise ValueError(f"on_duty must be yes/no, not {text!r}")


def import_volunteers(session: Session, text: str) -> ImportReport:
    """Create or update volunteers from CSV text in `session`; bad rows are reported, skipped."""
    report = ImportReport()
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        report.errors.append(RowError(1, ",".join(missing), "required column(s) missing"))
        return report
    report.errors += [RowError(1, h, f"unknown column (known: {', '.join(COLUMNS)})")
                      for h in header if h not in COLUMNS]
    reader.fieldnames = header
    seen: dict[str, int] = {}
    for line, row, problem in numbered_rows(reader):
        if row is None:
            report.errors.append(RowError(line, "-", problem or "unreadable row"))
            continue
        values, errors = parse_row(row, line)
        if not errors and values["phone"] in seen:
            errors = [RowError(line, "phone", f"same phone as line {seen[values['phone']]}")]
        if errors:
            report.errors += errors
            continue
        seen[values["phone"]] = line
        save_volunteer(session, values, report)
    return report


def save_volunteer(session: Session, values: dict[str, Any], report: ImportReport) -> None:
    """Insert or update one validated volunteer (matched by phone)."""
    org_name = values.pop("organisation")
    volunteer = session.scalar(select(Volunteer).where(Volunteer.phone == values["phone"]))
    if volunteer is None:
        volunteer = Volunteer(**values)
        session.add(volunteer)
        report.created += 1
    else:
        for key, value in values.items():
            setattr(volunteer, key, value)
        report.updated += 1
    volunteer.organisation_id = organisation_id(session, org_name, report) if org_name else None
    session.flush()


def organisation_id(session: Session, name: str, report: ImportReport) -> int:
    """The organisation with this name, created (and reported) if new."""
    org = session.scalar(select(Organisation).where(Organisation.name == name))
    if org is None:
        org = Organisation(name=name)
        session.add(org)
        session.flush()
        report.organisations_created.append(name)
    return org.id
