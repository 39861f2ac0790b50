"""The consent log and the opt-out list as CSV for an auditor, and consent in the estimate.

Staff export their organisation's contacts only (the opt-out page's scope: imported by it, or
with a case in its queue now or before); admins export everyone's. An auditor needs the
numbers, so they are not masked; each download is written to the audit log instead. Every
cell goes through notifications.csv_safe, so no cell is a formula.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from flask import Blueprint, Response, render_template, request
from sqlalchemy import ColumnElement, func, select, true

from hotline.consent import (
    CARRIER_OPT_OUT,
    GIVEN,
    OPTED_OUT_BY_TEXT,
    SUBSCRIBED_BY_TEXT,
    TEXTED_HOTLINE,
    WITHDRAWN,
    consent_log,
    opt_out_list,
    stamp,
)
from hotline.infra.db import get_db
from hotline.translations import NP_, translate
from hotline.web.access import audit, guard, signed_in_user
from hotline.web.campaigns import audience_from, audience_organisation
from hotline.web.downloads import csv_response
from hotline.web.english_texts import ROLE_NAMES, english_pattern
from hotline.web.stats import local_zone
from models import AuditAction, ConsentEvent, Contact, Role, User
from notifications.campaigns.audience import (
    BadAudience,
    left_out_for_consent,
    organisation_condition,
)

bp = Blueprint("consent_export", __name__, url_prefix="/staff/consent")
bp.before_request(guard(Role.ADMIN, Role.STAFF))

# The files are for an auditor, who reads Chinese whatever language the console is in: their
# columns and words are catalogue entries read in EXPORT_LANGUAGE.
EXPORT_LANGUAGE = "zh"
LOG_HEADER = [NP_("consent", "Time"), NP_("consent", "Phone number"),
              NP_("consent", "Given or withdrawn"), NP_("consent", "How"),
              NP_("consent", "Evidence")]
OPT_OUT_HEADER = [NP_("consent", "Phone number"), NP_("consent", "Opted out at"),
                  NP_("consent", "How opted out"), NP_("consent", "Evidence")]
ACTIONS = {GIVEN: NP_("consent", "given"), WITHDRAWN: NP_("consent", "consent withdrawn")}
SOURCES = {
    TEXTED_HOTLINE: NP_("consent", "texted the hotline (may get service notices)"),
    SUBSCRIBED_BY_TEXT: NP_("consent", "subscribed by text"),
    OPTED_OUT_BY_TEXT: NP_("consent", "opted out by text"),
    CARRIER_OPT_OUT: NP_("consent", "the carrier reported an opt-out"),
}
ERASED = NP_("consent", "(erased at the worker's request)")
NOT_RECORDED = NP_("consent", "not recorded")
# The evidence the hotline writes (hotline.consent's callers), matched as a whole and
# translated; an importer's own words are kept as they are.
EVIDENCE = (
    NP_("consent", "first text to the hotline"),
    NP_("consent", "replied %(word)s"),
    NP_("consent", "imported from %(file)s with the command line by %(who)s, row %(row)s"),
    NP_("consent", "imported from %(file)s by %(role)s %(who)s, row %(row)s"),
    NP_("consent", "imported from a CSV file, row %(row)s"),
    NP_("consent", "message %(n)s refused"),
    NP_("consent", "campaign send refused"),
    NP_("consent", "status callback"),
    NP_("consent", "campaign status callback"),
)
EVIDENCE_PARTS = {"word": ".+", "file": ".+", "who": r"\S+", "row": r"\d+",
                  "role": "admin|staff", "n": r"\d+"}


@cache
def evidence_patterns() -> list[tuple[re.Pattern[str], str]]:
    """EVIDENCE as (English pattern, message id), compiled once."""
    return [(english_pattern(msgid, EVIDENCE_PARTS), msgid) for msgid in EVIDENCE]


def evidence_text(evidence: str | None) -> str:
    """The evidence as an auditor reads it."""
    text = evidence or ""
    for pattern, msgid in evidence_patterns():
        match = pattern.fullmatch(text)
        if match:
            parts = match.groupdict()
            if "role" in parts:
                parts["role"] = translate(EXPORT_LANGUAGE, ROLE_NAMES[parts["role"]])
            return exported(msgid) % parts
    return text


def exported(msgid: str) -> str:
    """One of the files' words in the auditor's language."""
    return translate(EXPORT_LANGUAGE, msgid, "consent")


def word(words: dict[str, str], value: str) -> str:
    """An action's or source's name for the auditor; an unknown one as it is."""
    return exported(words[value]) if value in words else value


def header(columns: list[str]) -> list[str]:
    """A file's header row for the auditor."""
    return [exported(column) for column in columns]


def export_scope(user: User) -> ColumnElement[bool] | None:
    """Whose contacts a user exports: an admin everyone's, staff their organisation's."""
    org = audience_organisation(user)
    return None if org is None else organisation_condition(org)


@bp.get("/")
def page() -> Any:
    """What counts as consent, how many records there are, and the two downloads."""
    scope = export_scope(signed_in_user())
    where = true() if scope is None else scope
    with get_db().begin() as session:
        events = session.scalar(select(func.count()).select_from(ConsentEvent).join(
            Contact, Contact.id == ConsentEvent.contact_id).where(where)) or 0
        opted = session.scalar(select(func.count()).select_from(Contact).where(
            Contact.opted_out_at.is_not(None), Contact.erased_at.is_(None), where)) or 0
    return render_template("staff/consent_export.html", events=events, opted=opted)


@bp.get("/log.csv")
def log_csv() -> Response:
    """Every consent given or withdrawn, with how and the evidence (audited)."""
    user = signed_in_user()
    zone = local_zone()
    with get_db().begin() as session:
        rows = [[stamp(at, zone), phone or exported(ERASED), word(ACTIONS, action),
                 word(SOURCES, source), evidence_text(evidence)]
                for at, phone, action, source, evidence in consent_log(
                    session, export_scope(user))]
        audit(session, user, AuditAction.EXPORT_CONSENT, detail=f"consent log: {len(rows)} rows")
    return csv_response(rows, header(LOG_HEADER), "consent-log")


@bp.get("/opt-outs.csv")
def opt_outs_csv() -> Response:
    """Every number that asked for no bulk SMS, when and how (audited)."""
    user = signed_in_user()
    zone = local_zone()
    with get_db().begin() as session:
        rows = [[phone, stamp(when, zone), word(SOURCES, how or "") if how
                 else exported(NOT_RECORDED), evidence_text(evidence)]
                for phone, when, how, evidence in opt_out_list(session, export_scope(user))]
        audit(session, user, AuditAction.EXPORT_CONSENT,
              detail=f"opt-out list: {len(rows)} rows")
    return csv_response(rows, header(OPT_OUT_HEADER), "opt-outs")


@bp.app_template_global("consent_left_out")
def consent_left_out() -> int | None:
    """For the compose form's live estimate (rendered after its transaction): how many the
    audience being typed leaves out for lack of consent; None if the filter is invalid."""
    try:
        wanted = audience_from(request.form, signed_in_user())
    except BadAudience:
        return None
    with get_db().begin() as session:
        return left_out_for_consent(session, wanted)
