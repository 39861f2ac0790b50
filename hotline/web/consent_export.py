"""The consent log and the opt-out list as CSV for an auditor, and consent in the estimate.

Staff export their organisation's contacts only (the opt-out page's scope: imported by it, or
with a case in its queue now or before); admins export everyone's. An auditor needs the
numbers, so they are not masked; each download is written to the audit log instead. Every
cell goes through notifications.csv_safe, so no cell is a formula.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
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
    left_out_for_consent,
    opt_out_list,
    stamp,
)
from hotline.db import get_db
from hotline.web.access import audit, guard, signed_in_user
from hotline.web.stats import local_zone
from models import AuditAction, ConsentEvent, Contact, Role, User, utcnow
from notifications.audience import BadAudience, organisation_condition
from notifications.csv_safe import safe_writer

bp = Blueprint("consent_export", __name__, url_prefix="/staff/consent")
bp.before_request(guard(Role.ADMIN, Role.STAFF))

LOG_HEADER_ZH = ["时间", "手机号", "同意或撤回", "方式", "凭证"]
OPT_OUT_HEADER_ZH = ["手机号", "退订时间", "退订方式", "凭证"]
ACTIONS_ZH = {GIVEN: "同意", WITHDRAWN: "撤回同意"}
SOURCES_ZH = {
    TEXTED_HOTLINE: "给热线发过短信（可收服务通知）",
    SUBSCRIBED_BY_TEXT: "短信回复订阅",
    OPTED_OUT_BY_TEXT: "短信回复退订",
    CARRIER_OPT_OUT: "电信运营商报告已退订",
}
ERASED_ZH = "（已应本人要求删除）"
# The evidence the hotline writes, in Chinese (an importer's own words are kept as they are).
EVIDENCE_ZH: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^first text to the hotline$"), "第一次给热线发短信"),
    (re.compile(r"^replied (?P<word>.+)$"), "回复“{word}”"),
    (re.compile(r"^imported from (?P<file>.+) with the command line by (?P<who>\S+), "
                r"row (?P<row>\d+)$"), "{who}用命令行从{file}导入（第{row}行）"),
    (re.compile(r"^imported from (?P<file>.+) by (?P<role>admin|staff) (?P<who>\S+), "
                r"row (?P<row>\d+)$"), "{role}{who}从{file}导入（第{row}行）"),
    (re.compile(r"^imported from a CSV file, row (?P<row>\d+)$"), "从CSV文件导入（第{row}行）"),
    (re.compile(r"^message \d+ refused$"), "发送时被运营商拒收"),
    (re.compile(r"^campaign send refused$"), "群发时被运营商拒收"),
    (re.compile(r"^(campaign )?status callback$"), "短信状态回执"),
]
ROLES_ZH = {"admin": "管理员", "staff": "工作人员"}


def evidence_zh(evidence: str | None) -> str:
    """The evidence as a Chinese auditor reads it."""
    text = evidence or ""
    for pattern, zh in EVIDENCE_ZH:
        match = pattern.match(text)
        if match:
            parts = match.groupdict()
            if "role" in parts:
                parts["role"] = ROLES_ZH[parts["role"]]
            return zh.format(**parts)
    return text


def export_scope(user: User) -> ColumnElement[bool] | None:
    """Whose contacts a user exports: an admin everyone's, staff their organisation's."""
    from hotline.web.campaigns import audience_organisation

    org = audience_organisation(user)
    return None if org is None else organisation_condition(org)


def csv_response(rows: Iterable[list[Any]], header: list[str], name: str) -> Response:
    """A CSV download (BOM first, so Excel opens the UTF-8 Chinese as it is)."""
    out = io.StringIO()
    writer = safe_writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    day = utcnow().astimezone(local_zone()).strftime("%Y-%m-%d")
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{name}-{day}.csv"'})


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
        rows = [[stamp(at, zone), phone or ERASED_ZH, ACTIONS_ZH.get(action, action),
                 SOURCES_ZH.get(source, source), evidence_zh(evidence)]
                for at, phone, action, source, evidence in consent_log(
                    session, export_scope(user))]
        audit(session, user, AuditAction.EXPORT_CONSENT, detail=f"consent log: {len(rows)} rows")
    return csv_response(rows, LOG_HEADER_ZH, "consent-log")


@bp.get("/opt-outs.csv")
def opt_outs_csv() -> Response:
    """Every number that asked for no bulk SMS, when and how (audited)."""
    user = signed_in_user()
    zone = local_zone()
    with get_db().begin() as session:
        rows = [[phone, stamp(when, zone), SOURCES_ZH.get(how or "", how or "未记录"),
                 evidence_zh(evidence)]
                for phone, when, how, evidence in opt_out_list(session, export_scope(user))]
        audit(session, user, AuditAction.EXPORT_CONSENT,
              detail=f"opt-out list: {len(rows)} rows")
    return csv_response(rows, OPT_OUT_HEADER_ZH, "opt-outs")


@bp.app_template_global("consent_left_out")
def consent_left_out() -> int | None:
    """For the compose form's live estimate (rendered after its transaction): how many the
    audience being typed leaves out for lack of consent; None if the filter is invalid."""
    from hotline.web.campaigns import audience_from

    try:
        wanted = audience_from(request.form, signed_in_user())
    except BadAudience:
        return None
    with get_db().begin() as session:
        return left_out_for_consent(session, wanted)
