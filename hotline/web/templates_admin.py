"""Carrier templates on the web (admins only): which texts the hotline sends have no approved
template yet, the templates the office registered, and the carrier's review to record.

On a carrier that sends only approved templates (Alibaba Cloud SMS) a text without one is
refused, so the page leads with those gaps; the same data as `hotline templates list`. The
list to submit to the carrier downloads from the page (the drafts `hotline templates draft`
writes, by the same code; audited as the other exports are). A template registers on the page
and the carrier's review results (that list with its codes filled in) import from it, by the
code `hotline templates add` and `import` call (hotline.template_registry); both are audited.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.infra.db import get_db, row_id
from hotline.template_registry import (
    BadResultsFile,
    ImportReport,
    Problem,
    import_reviews,
    register_template,
)
from hotline.web.access import audit, guard, signed_in_user
from hotline.web.downloads import csv_response, uploaded_csv
from hotline.web.english_texts import error_text
from hotline.web.i18n import gettext as _
from hotline.web.i18n import ui_locale
from models import (
    AuditAction,
    Case,
    Organisation,
    Role,
    SmsTemplate,
    TemplateApproval,
    TemplateKind,
    User,
)
from notifications.campaigns.compose import CampaignSpec
from notifications.campaigns.templated import (
    TemplateChoiceError,
    parse_params,
    templated_variants,
)
from notifications.providers import PROVIDER_OPT_OUT, requires_templates
from notifications.template_drafts import draft_cells, draft_header, draft_rows
from notifications.template_rules import Finding, check_signature, check_template
from notifications.templates import (
    candidates,
    configured_provider,
    coverage,
    current_fixed,
    relay_outcome,
)

bp = Blueprint("templates_admin", __name__, url_prefix="/staff/templates")
bp.before_request(guard(Role.ADMIN))
MAX_UPLOAD_BYTES = 4 * 1024 * 1024  # the list to submit is ~200 KB; room for notes in it
SHOWN_ERRORS = 1000  # rejected rows listed on the page; the count says how many more
REGISTER_FIELDS = ("code", "purpose", "kind", "signature", "text", "organisation_id",
                   "domains")


@bp.before_app_request
def allow_a_larger_file() -> None:
    """Let an admin upload the review results above the app's 1 MB request cap (sized for
    webhooks); registered app-wide so it runs before the CSRF check reads the form."""
    if request.endpoint == "templates_admin.import_results" and \
            current_user.is_authenticated and current_user.role == Role.ADMIN:
        request.max_content_length = MAX_UPLOAD_BYTES + 64 * 1024  # the form's other fields


def page_provider() -> str:
    """The carrier shown: ?provider=, else the one the hotline sends through, else Alibaba."""
    asked = request.args.get("provider", "")
    if asked in PROVIDER_OPT_OUT:
        return asked
    configured = str(current_app.config.get("HOTLINE_PROVIDER", ""))
    return configured if requires_templates(configured) else "alibaba"


@bp.get("/")
def index() -> Any:
    """Texts without an approved template first, then every registered template, the form
    to register one and the upload of the carrier's review results."""
    return render_page()


def render_page(status: int = 200, **context: Any) -> Any:
    """The page, with the register form as typed (and why it was refused) or an import's
    report when there is one."""
    provider = page_provider()
    with get_db().begin() as session:
        gaps = coverage(session, provider)
        rows = session.scalars(select(SmsTemplate).where(SmsTemplate.provider == provider)
                               .order_by(SmsTemplate.approval, SmsTemplate.purpose,
                                         SmsTemplate.code)).all()
        organisations = session.execute(select(Organisation.id, Organisation.name)
                                        .order_by(Organisation.name)).all()
        offices: dict[int | None, str] = {oid: name for oid, name in organisations}
        templates = [{"row": t, "office": offices.get(t.organisation_id),
                      "findings": [f.zh for f in check_template(t.text, t.kind, t.signature)]}
                     for t in rows]
        signature = usual_signature(session, provider)
        shown: dict[str, Any] = {
            "form": {"kind": TemplateKind.NOTIFICATION.value, "signature": signature,
                     "purpose": "", "approved": False},
            "form_errors": {}, "rule_findings": [], "report": None, **context}
        return render_template("staff/sms_templates.html", provider=provider, gaps=gaps,
                               templates=templates, signature=signature,
                               organisations=organisations,
                               in_use=current_app.config.get("HOTLINE_PROVIDER") == provider,
                               **shown), status


def usual_signature(session: Session, provider: str) -> str:
    """The signature most of the carrier's registered templates carry (the form's default)."""
    found = session.scalar(select(SmsTemplate.signature).where(SmsTemplate.provider == provider)
                           .group_by(SmsTemplate.signature)
                           .order_by(func.count().desc(), SmsTemplate.signature).limit(1))
    return found or ""


@bp.get("/drafts.csv")
def drafts_csv() -> Any:
    """Every text the hotline sends as a draft to submit to the carrier (a CSV, audited): the
    rows `hotline templates draft` writes, for the signature typed on the page."""
    provider = page_provider()
    signature = request.args.get("signature", "").strip()
    if not signature or check_signature(signature):
        flash(_("Write the signature the carrier approved for the hotline: 2 to 12 characters, "
                "without 【】."), "error")
        return redirect(url_for("templates_admin.index", provider=provider) + "#gaps", code=303)
    rows = draft_rows(provider, signature, fixed=current_fixed())
    with get_db().begin() as session:
        audit(session, signed_in_user(), AuditAction.EXPORT_TEMPLATES,
              detail=f"SMS template drafts: {len(rows)} rows")
    return csv_response(draft_cells(rows), draft_header(), f"sms-template-drafts-{provider}")


@bp.post("/review")
def review() -> Any:
    """Record the carrier's review of a registered template (form: template_id, action)."""
    action = request.form.get("action", "")
    template_id = row_id(request.form.get("template_id"))
    if action not in ("approve", "reject") or template_id is None:
        abort(400)
    with get_db().begin() as session:
        template = session.get(SmsTemplate, template_id)
        if template is None:
            abort(404)
        template.approval = (TemplateApproval.APPROVED if action == "approve"
                             else TemplateApproval.REJECTED)
        code, provider = template.code, template.provider
    flash(_("Template %(code)s marked approved.", code=code) if action == "approve" else
          _("Template %(code)s marked rejected: it will not be sent.", code=code), "info")
    return redirect(url_for("templates_admin.index", provider=provider), code=303)


def finding_text(finding: Finding) -> str:
    """A carrier rule broken or risked, in the reader's language (the rules carry Chinese)."""
    return finding.zh if ui_locale().startswith("zh") else finding.message


def problem_text(problem: Problem) -> str:
    """Why a template or a row was refused, in the reader's language."""
    if problem.finding is not None:
        return finding_text(problem.finding)
    return error_text(_(problem.msgid, **problem.values))


def chosen_office(session: Session) -> tuple[int | None, Problem | None]:
    """The office picked on a form (blank: every office), or why it cannot be used."""
    raw = (request.form.get("organisation_id") or "").strip()
    if not raw:
        return None, None
    office = row_id(raw)
    if office is None or session.get(Organisation, office) is None:
        return None, Problem("unknown organisation", field="organisation_id")
    return office, None


@bp.post("/register")
def register() -> Any:
    """Register one template (form: code, purpose, kind, signature, text, organisation_id,
    domains, approved), checked as `hotline templates add` checks it; refused, the form is
    shown again as typed with every reason."""
    provider, user = page_provider(), signed_in_user()
    typed: dict[str, Any] = {name: request.form.get(name, "") for name in REGISTER_FIELDS}
    typed["approved"] = request.form.get("approved") == "1"
    with get_db().begin() as session:
        office, office_problem = chosen_office(session)
        done = register_template(
            session, provider, typed["code"], typed["purpose"], typed["kind"],
            typed["signature"], typed["text"], organisation_id=office,
            approved=typed["approved"], write=office_problem is None,
            domains=typed["domains"].replace("，", " ").replace(",", " ").split())
        problems = done.problems + ([office_problem] if office_problem else [])
        if done.template is not None:
            code, template_id = done.template.code, done.template.id
            audit(session, user, AuditAction.REGISTER_TEMPLATE,
                  detail=f"registered SMS template {code}")
    if done.template is None:
        form_errors: dict[str, list[str]] = {}
        for problem in problems:
            form_errors.setdefault(problem.field, []).append(problem_text(problem))
        flash(_("The template was not registered: see the reasons in the form."), "error")
        return render_page(400, form=typed, form_errors=form_errors,
                           rule_findings=[{"text": finding_text(f),
                                           "error": f.severity == "error"}
                                          for f in done.findings])
    flash(_("Template %(code)s is registered.", code=code), "info")
    for finding in done.findings:
        flash(_("Template %(code)s: %(finding)s", code=code, finding=finding_text(finding)),
              "warning")
    return redirect(url_for("templates_admin.index", provider=provider)
                    + f"#template-{template_id}", code=303)


def shown_report(report: ImportReport, filename: str) -> dict[str, Any]:
    """An import's counts and its rejected rows, for the page."""
    return {"filename": filename, "added": report.added, "updated": report.updated,
            "skipped": report.skipped, "rejected": len(report.problems),
            "problems": [{"line": p.line, "code": p.code, "reason": problem_text(p.problem)}
                         for p in report.problems[:SHOWN_ERRORS]],
            "more": max(0, len(report.problems) - SHOWN_ERRORS)}


@bp.post("/import")
def import_results() -> Any:
    """Read the carrier's review results (the list to submit with 模板CODE and 审核状态
    filled in) as `hotline templates import` does: the good rows are recorded, every bad row
    is listed with its line and why."""
    provider, user = page_provider(), signed_in_user()
    uploaded = uploaded_csv(MAX_UPLOAD_BYTES)
    if uploaded is None:
        return render_page(400)
    name, text = uploaded
    try:
        report = apply_results(text, provider, user, name)
    except BadResultsFile as exc:
        flash(_("The file was not imported: %(reason)s", reason=problem_text(exc.problem)),
              "error")
        return render_page(400)
    imported = report.added + report.updated
    return render_page(400 if report.problems and not imported else 200,
                       report=shown_report(report, name))


def apply_results(text: str, provider: str, user: User, name: str) -> ImportReport:
    """Import the results for the office picked on the form (400 for one that does not
    exist), audited in the same transaction."""
    with get_db().begin() as session:
        office, office_problem = chosen_office(session)
        if office_problem:
            abort(400)
        report = import_reviews(session, text, provider, organisation_id=office,
                                approved=request.form.get("approved") == "1")
        audit(session, user, AuditAction.IMPORT_TEMPLATES,
              detail=f"SMS template reviews from {name or 'a CSV file'}: {report.added} added, "
                     f"{report.updated} updated, {len(report.problems)} rejected")
    return report


def relay_problem(session: Session, case: Case, body: str, key: str = "relay_to_worker"
                  ) -> str | None:
    """Why a text typed for the worker cannot go on this carrier (None: it goes); when only
    the "call the hotline" notice can go, the writer is told so and it goes."""
    outcome = relay_outcome(session, case, body, key)
    if outcome == "refused":
        return _("The SMS carrier has no approved template for this yet; nothing was sent to "
                 "the worker.")
    if outcome == "notice":
        flash(_("The SMS carrier only sends approved fixed texts, so your words were not sent "
                "as written: the worker was texted that there is a new message and to call the "
                "hotline."), "warning")
    return None


@bp.app_context_processor
def campaign_template_choices() -> dict[str, Any]:
    """The compose form's template list: approved templates of the carrier the hotline sends
    through, when it sends only templates (empty otherwise, and the form looks as before)."""

    def carrier_templates() -> list[SmsTemplate]:
        provider = configured_provider()
        if not requires_templates(provider) or not current_user.is_authenticated:
            return []
        with get_db().begin() as session:
            found = candidates(session, provider, current_user.organisation_id)
            session.expunge_all()
            return found

    return {"carrier_templates": carrier_templates}


def campaign_with_template(spec: CampaignSpec, form: Any, user: User) -> CampaignSpec:
    """The compose form's campaign with the chosen approved template's text, values filled in,
    its signature and no TD footer (the template carries the carrier's opt-out wording)."""
    code = (form.get("template") or "").strip()
    provider = configured_provider()
    if not code:  # a typed text may still be an approved template's: checked before sending
        return spec
    try:
        with get_db().begin() as session:
            language, body, template = templated_variants(
                session, provider, code,
                parse_params((form.get("template_params") or "").splitlines()),
                user.organisation_id)
            spec.signature = template.signature
    except TemplateChoiceError as exc:
        raise ValueError(_(exc.msgid, **exc.values)) from exc
    spec.variants, spec.default_language, spec.footer = {language: body}, language, False
    return spec
