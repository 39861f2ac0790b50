"""Registering carrier templates and reading back the carrier's review: one code for both doors.

`hotline templates add` / `import` (hotline/cli/templates.py) and the admin SMS-templates page
(hotline/web/templates_admin.py) both call `register_template` and `import_reviews`, so a
template refused on one is refused on the other, for the same reasons.

A problem is a message id with its values (`Problem`): the command prints it in English, the
page says it in the reader's language. The carrier's content rules are
notifications.template_rules' findings, which carry their own Chinese.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.translations import N_
from models import SmsTemplate, TemplateApproval, TemplateKind
from notifications.csv_rows import numbered_rows
from notifications.template_drafts import COLUMNS
from notifications.template_rules import Finding, check_signature, check_template, errors
from notifications.templates import current_fixed, hotline_texts, pattern

# Purposes that are no text the hotline sends: a campaign's template, and anything else.
CAMPAIGN, OTHER = "campaign", "other"
# The carrier's TemplateCode (Alibaba: SMS_123456789); the column holds 40 characters.
CODE = re.compile(r"[A-Za-z0-9_-]{1,40}")
# The carrier's review as an office writes it in the draft's 审核状态 column.
APPROVAL_WORDS = {"approved": TemplateApproval.APPROVED, "通过": TemplateApproval.APPROVED,
                  "审核通过": TemplateApproval.APPROVED, "已通过": TemplateApproval.APPROVED,
                  "rejected": TemplateApproval.REJECTED, "未通过": TemplateApproval.REJECTED,
                  "驳回": TemplateApproval.REJECTED, "审核未通过": TemplateApproval.REJECTED,
                  "pending": TemplateApproval.PENDING, "审核中": TemplateApproval.PENDING}
# The draft's 模板类型 column (and the carrier console's own names); blank is a notification.
KIND_WORDS = {"": TemplateKind.NOTIFICATION, "通知": TemplateKind.NOTIFICATION,
              "短信通知": TemplateKind.NOTIFICATION, "notification": TemplateKind.NOTIFICATION,
              "推广": TemplateKind.PROMOTIONAL, "推广短信": TemplateKind.PROMOTIONAL,
              "promotional": TemplateKind.PROMOTIONAL}
REQUIRED_COLUMNS = ("code", "text", "signature")


@dataclass(frozen=True)
class Problem:
    """Why a template (or a row of the carrier's results) is refused: a message id with
    %(name)s placeholders and its values, and the form field it is about."""

    msgid: str
    values: dict[str, str] = field(default_factory=dict)
    field: str = ""
    finding: Finding | None = None  # a carrier rule broken: it says itself in Chinese too

    def __str__(self) -> str:
        return self.msgid % self.values if self.values else self.msgid


class BadResultsFile(ValueError):
    """The carrier's results cannot be read at all (no header, a column missing)."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


class Purposes:
    """Every purpose a template may have (the texts the hotline sends, a campaign, other), and
    which of those texts a template carries; read once per registration or import."""

    def __init__(self, fixed: dict[str, str] | None = None) -> None:
        fixed = fixed if fixed is not None else current_fixed()
        texts = hotline_texts(include_free_text=True)
        self.samples = [(t.purpose, t.sample(fixed)) for t in texts]
        self.known = frozenset([*(t.purpose for t in texts), CAMPAIGN, OTHER])

    def of(self, text: str) -> str | None:
        """The purpose of the text the hotline sends that `text` carries (matched as at send
        time, on the text rendered with sample values), or None when it carries none."""
        found = pattern(text)
        return next((purpose for purpose, sample in self.samples if found.fullmatch(sample)),
                    None)

    def problem(self, purpose: str) -> Problem | None:
        """Why `purpose` is no purpose a template may have (None: it is one)."""
        if purpose in self.known:
            return None
        return Problem(N_("unknown purpose %(purpose)s"), {"purpose": purpose[:60]},
                       field="purpose")


def clean_text(text: str) -> str:
    """A template text as typed or pasted: Windows line ends and the spaces around it gone."""
    return text.replace("\r\n", "\n").strip()


def code_problem(code: str) -> Problem | None:
    """Why `code` cannot be a carrier's template code (None: it can)."""
    if not code:
        return Problem(N_("write the template code the carrier gave (e.g. SMS_123456789)"),
                       field="code")
    if not CODE.fullmatch(code):
        return Problem(N_("%(code)s is not a template code: at most 40 letters, digits and _, "
                          "e.g. SMS_123456789"), {"code": code[:60]}, field="code")
    return None


@dataclass
class Registration:
    """What `register_template` found and did: the template written (None: refused), the
    problems that refused it and the carrier's rules it breaks or risks."""

    template: SmsTemplate | None = None
    problems: list[Problem] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def rule_errors(self) -> list[Finding]:
        """The findings that refuse a template (unless forced)."""
        return errors(self.findings)


def register_template(session: Session, provider: str, code: str, purpose: str,
                      kind: TemplateKind | str, signature: str, text: str, *,
                      organisation_id: int | None = None, approved: bool = False,
                      domains: Iterable[str] = (), force: bool = False,
                      write: bool = True) -> Registration:
    """Check a template as the carrier would and add it (pending, or approved); nothing is
    written when a problem or (unless `force`) a broken carrier rule refuses it, or when
    `write` is false (only the checks). A blank purpose is the hotline text the template
    carries."""
    code, signature, text, purpose = code.strip(), signature.strip(), clean_text(text), \
        purpose.strip()
    done = Registration()
    found_code = code_problem(code)
    if found_code:
        done.problems.append(found_code)
    if kind not in set(TemplateKind):
        done.problems.append(Problem(N_("unknown template type %(kind)s"),
                                     {"kind": str(kind)[:40]}, field="kind"))
        kind = TemplateKind.NOTIFICATION
    kind = TemplateKind(kind)
    done.findings = check_template(text, kind, signature, domains=tuple(domains))
    purposes = Purposes()
    if not purpose and text:
        purpose = purposes.of(text) or ""
        if not purpose:
            done.problems.append(Problem(
                N_("the template carries no text the hotline sends: say what it is for "
                   "(a campaign, or other)"), field="purpose"))
    elif purpose:
        found_purpose = purposes.problem(purpose)
        if found_purpose:
            done.problems.append(found_purpose)
    if not found_code and session.scalar(select(SmsTemplate.id).where(
            SmsTemplate.provider == provider, SmsTemplate.code == code)):
        done.problems.append(Problem(N_("template %(code)s is registered already"),
                                     {"code": code}, field="code"))
    if done.problems or (done.rule_errors and not force) or not write:
        return done
    done.template = SmsTemplate(
        provider=provider, code=code, purpose=purpose or OTHER, kind=kind, text=text,
        signature=signature, organisation_id=organisation_id,
        approval=TemplateApproval.APPROVED if approved else TemplateApproval.PENDING)
    session.add(done.template)
    session.flush()
    return done


# --- the carrier's results ------------------------------------------------------------------

@dataclass(frozen=True)
class RowProblem:
    """A row of the results file not imported: its line, its code (if any) and why."""

    line: int
    code: str
    problem: Problem

    def __str__(self) -> str:
        return f"line {self.line}: {self.problem}"


@dataclass
class ImportReport:
    """What `import_reviews` did: templates added and updated, rows without a code yet (not
    submitted or not approved: skipped), rows refused, and the carrier rules that imported
    templates break (the carrier has them already: kept, told)."""

    added: int = 0
    updated: int = 0
    skipped: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    findings: list[tuple[int, str, Finding]] = field(default_factory=list)


def column_key(heading: str) -> str:
    """A heading of the draft CSV (its Chinese label or its key) as its key."""
    cleaned = heading.strip().lstrip("\ufeff").strip()
    for key, label in COLUMNS:
        if cleaned in (key, label):
            return key
    return cleaned


@dataclass(frozen=True)
class RowTemplate:
    """A good row of the carrier's results: the template it adds or updates."""

    code: str
    text: str
    signature: str
    kind: TemplateKind
    purpose: str
    approval: TemplateApproval


def row_template(row: dict[str, str], approved: bool, purposes: Purposes
                 ) -> RowTemplate | Problem:
    """A filled-in draft row as the template it records, or the problem that refuses it."""
    code, text, signature = row.get("code", ""), clean_text(row.get("text", "").removeprefix(
        "'")), row.get("signature", "")
    found = code_problem(code)
    if found:
        return found
    if not text or not signature:
        return Problem(N_("the template text or signature is empty"))
    bad_signature = check_signature(signature)
    if bad_signature:
        return Problem(bad_signature[0].message, finding=bad_signature[0])
    state = row.get("approval", "")
    if state and state.lower() not in APPROVAL_WORDS:
        return Problem(N_("unknown review state %(state)s (write 审核通过, 审核未通过 or "
                          "审核中)"), {"state": state[:40]})
    kind_word = row.get("kind", "")
    if kind_word.lower() not in KIND_WORDS:
        return Problem(N_("unknown template type %(kind)s"), {"kind": kind_word[:40]})
    purpose = row.get("purpose", "")
    unknown = purposes.problem(purpose) if purpose else None
    if unknown:
        return unknown
    return RowTemplate(code, text, signature, KIND_WORDS[kind_word.lower()],
                       purpose or purposes.of(text) or OTHER,
                       APPROVAL_WORDS.get(state.lower(), TemplateApproval.APPROVED if approved
                                          else TemplateApproval.PENDING))


def import_reviews(session: Session, text: str, provider: str, *,
                   organisation_id: int | None = None, approved: bool = False) -> ImportReport:
    """Apply a filled-in draft CSV (模板CODE, 审核状态 read back): each good row adds or updates
    its template, each bad row is reported with its line and why; rows without a code are
    skipped. `approved`: a code without a review state was approved. BadResultsFile when the
    file has no heading row or lacks a code, text or signature column."""
    reader = csv.DictReader(io.StringIO(text))
    headings = [column_key(h) for h in reader.fieldnames or [] if h]
    if not headings:
        raise BadResultsFile(Problem(N_("the file is empty (no header row)")))
    missing = [label for key, label in COLUMNS if key in REQUIRED_COLUMNS
               and key not in headings]
    if missing:
        raise BadResultsFile(Problem(N_("the file has no column %(columns)s: import the list "
                                        "of drafts with the codes filled in"),
                                     {"columns": "、".join(missing)}))
    report, seen, purposes = ImportReport(), dict[str, int](), Purposes()
    for start, raw, unreadable in numbered_rows(reader):
        if raw is None:
            report.problems.append(RowProblem(start, "", Problem(unreadable or "unreadable row")))
            continue
        line = reader.line_num  # a good row is one line (start counts a blank line before it)
        row = {column_key(k): (v if isinstance(v, str) else "").strip()
               for k, v in raw.items() if k}
        if not row.get("code"):
            report.skipped += 1  # not submitted yet, or a blank row
            continue
        found = row_template(row, approved, purposes)
        if isinstance(found, RowTemplate) and found.code in seen:
            found = Problem(N_("template %(code)s is on line %(line)s already"),
                            {"code": found.code, "line": str(seen[found.code])})
        if isinstance(found, Problem):
            report.problems.append(RowProblem(line, row["code"][:60], found))
            continue
        seen[found.code] = line
        template = session.scalar(select(SmsTemplate).where(
            SmsTemplate.provider == provider, SmsTemplate.code == found.code))
        if template is None:
            template = SmsTemplate(provider=provider, code=found.code)
            session.add(template)
            report.added += 1
        else:
            report.updated += 1
        template.purpose, template.kind, template.text = found.purpose, found.kind, found.text
        template.signature, template.approval = found.signature, found.approval
        template.organisation_id = organisation_id
        report.findings += [(line, found.code, f)
                            for f in errors(check_template(found.text, found.kind,
                                                           found.signature))]
    session.flush()
    return report
