"""Streaming CSV contact import: every row is imported, merged into an earlier one, or reported.

Rows are read one at a time and written in batches with set-based INSERT/UPDATE statements
(executemany), never one ORM object per row, so 400,000 rows take seconds and little memory.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from hotline.consent import BadConsentSource, Grant, clean_source, give_many
from hotline.infra.db import Database
from hotline.phones import InvalidPhone, normalize_phone
from models import Contact, ContactOrganisation, ContactTag
from notifications.csv_rows import numbered_rows

BATCH_ROWS = 2000
FIELDS = ("name", "language", "home_province", "work_province", "work_city", "timezone")
MAX_LEN = {"name": 100, "home_province": 40, "work_province": 40, "work_city": 60,
           "timezone": 40, "tag": 40}
# Header names staff actually use (Excel exports in Chinese offices), onto our columns.
ALIASES = {
    "phone": {"phone", "mobile", "number", "phone_number", "手机", "手机号", "手机号码", "电话",
              "号码"},
    "name": {"name", "姓名", "名字"},
    "language": {"language", "lang", "语言"},
    "home_province": {"home_province", "province", "籍贯", "省份", "老家", "户籍省份"},
    "work_province": {"work_province", "务工省份"},
    "work_city": {"work_city", "city", "城市", "务工城市"},
    "tags": {"tags", "tag", "标签"},
    "timezone": {"timezone", "tz", "时区"},
    # How this worker agreed to bulk SMS (a sign-up sheet's wording): consent on record.
    "consent_source": {"consent_source", "consent", "同意来源", "同意方式", "授权来源"},
}
LANGUAGE_ALIASES = {"中文": "zh", "汉语": "zh", "普通话": "zh", "chinese": "zh", "zh-cn": "zh",
                    "zh_cn": "zh", "英文": "en", "英语": "en", "english": "en"}
CONTACTS: Table = Contact.__table__  # type: ignore[assignment]
TAGS: Table = ContactTag.__table__  # type: ignore[assignment]
LINKS: Table = ContactOrganisation.__table__  # type: ignore[assignment]
TAG_SPLIT = re.compile(r"[,;|，；、\s]+")
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")
CN_MOBILE = re.compile(r"^\+861[3-9]\d{9}$")
MOBILE_TYPES = {phonenumbers.PhoneNumberType.MOBILE,
                phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}


class BadHeader(ValueError):
    """The CSV header cannot be imported (no phone column, unknown or repeated columns)."""


@dataclass(frozen=True)
class RowError:
    """One problem with one row: the CSV line, the column, the value given and why."""

    row: int
    column: str
    value: str
    reason: str


@dataclass
class ImportSummary:
    """What an import did; rows = created + updated + duplicates + rejected, always.

    Each phone counts once, as created or updated, on its first valid row; every later row
    for it counts as a duplicate only (merged in), whichever batch it falls in.
    """

    rows: int = 0
    created: int = 0
    updated: int = 0
    duplicates: int = 0  # rows for a phone already seen earlier in this file (merged)
    rejected: int = 0
    errors: int = 0
    tags: int = 0
    consent: int = 0  # contacts whose consent was recorded (a stated source, not opted out)

    def as_dict(self) -> dict[str, int]:
        """The counts, for JSON and the CLI."""
        return dict(self.__dict__)


@dataclass
class ContactRow:
    """A valid row, merged with earlier rows of the same phone in its batch."""

    phone: str
    values: dict[str, str | None]
    tags: set[str] = field(default_factory=set)
    consent: str | None = None  # this row's own consent source (the file's otherwise)
    line: int = 0

    def merge(self, other: ContactRow) -> None:
        """Later non-empty values win; tags add up."""
        for key, value in other.values.items():
            if value:
                self.values[key] = value
        self.tags |= other.tags
        if other.consent:
            self.consent, self.line = other.consent, other.line


@dataclass(frozen=True)
class ImportConsent:
    """Consent stated for a whole file, and who imported it from where (the evidence).

    `source` None: only rows with their own consent source column get consent on record.
    """

    source: str | None
    evidence: str


def map_header(header: list[str] | None) -> dict[str, str]:
    """Map the file's column names onto ours; raise BadHeader for what cannot be imported."""
    if not header:
        raise BadHeader("the file is empty (no header row)")
    lookup = {alias.lower(): ours for ours, aliases in ALIASES.items() for alias in aliases}
    mapping: dict[str, str] = {}
    for raw in header:
        ours = lookup.get(unicodedata.normalize("NFKC", raw or "").strip().lower())
        if ours is None:
            raise BadHeader(f"unknown column {raw!r}; known: {', '.join(sorted(ALIASES))}")
        if ours in mapping.values():
            raise BadHeader(f"column {raw!r} repeats {ours!r}")
        mapping[raw] = ours
    if "phone" not in mapping.values():
        raise BadHeader("no phone column (phone / 手机号)")
    return mapping


def check_mobile(e164: str) -> str:
    """Reject numbers an SMS cannot reach (landlines, unassigned ranges) before a campaign."""
    if e164.startswith("+86"):
        # Mainland mobiles are 1[3-9] + 9 digits: a regex is ~50x cheaper than re-parsing.
        if CN_MOBILE.match(e164):
            return e164
        raise InvalidPhone(f"not a mainland China mobile number: {e164}")
    parsed = phonenumbers.parse(e164)
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhone(f"not a valid phone number: {e164}")
    if phonenumbers.number_type(parsed) not in MOBILE_TYPES:
        raise InvalidPhone(f"not a mobile number (SMS cannot reach it): {e164}")
    return e164


def _clean(value: str | None) -> str:
    # NFKC folds full-width digits and letters (１３８...) typed on Chinese keyboards.
    text = unicodedata.normalize("NFKC", value or "")
    return "".join(ch for ch in text if ch.isprintable()).strip()


def _language(value: str) -> str:
    code = LANGUAGE_ALIASES.get(value.lower(), value.lower())
    if not LANGUAGE_CODE.match(code):
        raise ValueError("not a language code (zh, en, ...)")
    return code


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError("unknown time zone (e.g. Asia/Shanghai)") from exc
    return value


def parse_row(line: int, raw: dict[str, str], mapping: dict[str, str]
              ) -> tuple[ContactRow | None, list[RowError]]:
    """Validate one CSV row; return the contact row or the errors that reject it."""
    errors: list[RowError] = []
    values = {mapping[k]: _clean(v) for k, v in raw.items() if k is not None and k in mapping}
    if None in raw:
        errors.append(RowError(line, "", ",".join(map(str, raw[None])),  # type: ignore[index]
                               "more fields than the header has columns"))
    phone = ""
    try:
        phone = check_mobile(normalize_phone(values.get("phone", "")))
    except InvalidPhone as exc:
        errors.append(RowError(line, "phone", values.get("phone", ""), str(exc)))
    out: dict[str, str | None] = {}
    for key in FIELDS:
        value = values.get(key, "")
        try:
            if value and len(value) > MAX_LEN.get(key, 100):
                raise ValueError(f"longer than {MAX_LEN.get(key, 100)} characters")
            checker = {"language": _language, "timezone": _timezone}.get(key)
            out[key] = (checker(value) if checker else value) if value else None
        except ValueError as exc:
            errors.append(RowError(line, key, value, str(exc)))
    consent = None
    try:
        consent = clean_source(values.get("consent_source"))
    except BadConsentSource as exc:
        errors.append(RowError(line, "consent_source", values.get("consent_source", ""),
                               str(exc)))
    tags = {t.lower() for t in TAG_SPLIT.split(values.get("tags", "")) if t}
    errors += [RowError(line, "tags", t, "tag longer than 40 characters")
               for t in tags if len(t) > MAX_LEN["tag"]]
    if errors:
        return None, errors
    return ContactRow(phone, out, tags, consent, line), []


def _upsert_new(conn: Connection, rows: list[ContactRow]) -> None:
    table = CONTACTS
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = insert(table)
    # A webhook may create the same contact meanwhile: fill its blanks instead of failing.
    stmt = stmt.on_conflict_do_update(index_elements=["phone"], set_={
        key: func.coalesce(table.c[key], stmt.excluded[key]) for key in FIELDS})
    conn.execute(stmt, [{"phone": r.phone, **r.values, "language": r.values["language"] or "zh"}
                        for r in rows])


def _update_existing(conn: Connection, rows: list[ContactRow]) -> None:
    table = CONTACTS
    stmt = update(table).where(table.c.phone == bindparam("b_phone")).values(
        {key: func.coalesce(bindparam(f"b_{key}"), table.c[key]) for key in FIELDS})
    conn.execute(stmt, [{"b_phone": r.phone, **{f"b_{k}": v for k, v in r.values.items()}}
                        for r in rows])


def write_batch(conn: Connection, batch: dict[str, ContactRow], summary: ImportSummary,
                repeats: set[str] | frozenset[str] = frozenset(),
                organisation_id: int | None = None,
                consent: ImportConsent | None = None) -> None:
    """Insert new contacts, update existing ones (non-empty values win), add their tags.

    `repeats` are phones first imported by an earlier batch of the same file: written, but
    already counted (their rows here are duplicates). `organisation_id` records the importer;
    `consent` the consent stated for the file (a row's own source column wins).
    """
    table = CONTACTS
    phones = list(batch)
    existing = set(conn.scalars(select(table.c.phone).where(table.c.phone.in_(phones))))
    new = [r for p, r in batch.items() if p not in existing]
    old = [r for p, r in batch.items() if p in existing]
    if new:
        _upsert_new(conn, new)
    if old:
        _update_existing(conn, old)
    summary.created += len(new)
    summary.updated += sum(1 for r in old if r.phone not in repeats)
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    tagged = [p for p, r in batch.items() if r.tags]
    default = consent.source if consent else None
    consenting = [p for p, r in batch.items() if r.consent or default]
    if tagged or organisation_id is not None or consenting:
        ids = dict(conn.execute(select(table.c.phone, table.c.id).where(
            table.c.phone.in_(phones))).all())
    if tagged:
        pairs = [{"contact_id": ids[p], "tag": t} for p in tagged for t in batch[p].tags]
        conn.execute(insert(TAGS).on_conflict_do_nothing(), pairs)
        summary.tags += len(pairs)
    if organisation_id is not None:
        conn.execute(insert(LINKS).on_conflict_do_nothing(), [
            {"contact_id": ids[p], "organisation_id": organisation_id} for p in phones])
    if consenting:
        evidence = consent.evidence if consent else "imported from a CSV file"
        summary.consent += give_many(conn, [
            Grant(ids[p], batch[p].consent or default or "",
                  f"{evidence}, row {batch[p].line}") for p in consenting])


def read_rows(lines: Iterable[str], on_error: Callable[[RowError], None],
              summary: ImportSummary) -> Iterator[ContactRow]:
    """Yield valid rows from a CSV text stream; report each bad one through `on_error`."""
    reader = csv.DictReader(iter(lines))
    mapping = map_header(list(reader.fieldnames or []))
    for line, raw, problem in numbered_rows(reader):
        if raw is None:  # an open quote swallowing lines, binary data: named, never dropped
            summary.rows += 1
            summary.rejected += 1
            summary.errors += 1
            on_error(RowError(line, "", "", problem or "unreadable row"))
            continue
        if not any((v or "").strip() for k, v in raw.items() if k is not None):
            continue  # a blank line is not a contact
        summary.rows += 1
        row, errors = parse_row(line, raw, mapping)
        if row is None:
            summary.rejected += 1
            summary.errors += len(errors)
            for error in errors:
                on_error(error)
            continue
        yield row


def import_contacts(db: Database, lines: Iterable[str], on_error: Callable[[RowError], None],
                    batch_rows: int = BATCH_ROWS,
                    organisation_id: int | None = None,
                    consent: ImportConsent | None = None) -> ImportSummary:
    """Import contacts from CSV lines; each batch commits on its own so progress is kept.

    With `organisation_id`, every imported contact is recorded as that organisation's, so its
    staff may put them in campaign audiences. With `consent`, each row's stated consent is
    recorded (hotline.consent); rows with no source stated get none.
    """
    summary = ImportSummary()
    seen: set[int] = set()  # phones as ints: 400,000 of them in ~20 MB
    batch: dict[str, ContactRow] = {}
    repeats: set[str] = set()  # phones in this batch already counted in an earlier one
    for row in read_rows(lines, on_error, summary):
        key = int(row.phone[1:])
        if key in seen:
            summary.duplicates += 1
            if row.phone in batch:
                batch[row.phone].merge(row)
                continue
            repeats.add(row.phone)
        seen.add(key)
        batch[row.phone] = row
        if len(batch) >= batch_rows:
            _commit(db, batch, summary, repeats, organisation_id, consent)
            batch, repeats = {}, set()
    if batch:
        _commit(db, batch, summary, repeats, organisation_id, consent)
    return summary


def _commit(db: Database, batch: dict[str, ContactRow], summary: ImportSummary,
            repeats: set[str], organisation_id: int | None,
            consent: ImportConsent | None = None) -> None:
    with db.engine.begin() as conn:
        write_batch(conn, batch, summary, repeats, organisation_id, consent)


def rows_from_file(path: str, encoding: str = "utf-8-sig") -> Iterator[str]:
    """Lines of a CSV file, read lazily; a wrong encoding is a clear error, not mojibake."""
    with open(path, encoding=encoding, newline="") as handle:
        try:
            yield from handle
        except UnicodeDecodeError as exc:
            raise BadHeader(f"{path} is not {encoding} (try --encoding gbk for Excel files "
                            f"saved in Chinese Windows): {exc}") from exc
