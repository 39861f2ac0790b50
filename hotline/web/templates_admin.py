"""Carrier templates on the web (admins only): which texts the hotline sends have no approved
template yet, the templates the office registered, and the carrier's review to record.

On a carrier that sends only approved templates (Alibaba Cloud SMS) a text without one is
refused, so the page leads with those gaps; the same data as `hotline templates list`. The
list to submit to the carrier downloads from the page (the drafts `hotline templates draft`
writes, by the same code; audited as the other exports are).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.infra.db import get_db
from hotline.web.access import audit, guard, signed_in_user
from hotline.web.downloads import csv_response
from hotline.web.i18n import gettext as _
from models import AuditAction, Case, Organisation, Role, SmsTemplate, TemplateApproval, User
from notifications.campaigns.compose import CampaignSpec
from notifications.campaigns.templated import (
    TemplateChoiceError,
    parse_params,
    templated_variants,
)
from notifications.providers import PROVIDER_OPT_OUT, requires_templates
from notifications.template_drafts import draft_cells, draft_header, draft_rows
from notifications.template_rules import check_signature, check_template
from notifications.templates import (
    candidates,
    configured_provider,
    coverage,
    current_fixed,
    relay_outcome,
)

bp = Blueprint("templates_admin", __name__, url_prefix="/staff/templates")
bp.before_request(guard(Role.ADMIN))


def page_provider() -> str:
    """The carrier shown: ?provider=, else the one the hotline sends through, else Alibaba."""
    asked = request.args.get("provider", "")
    if asked in PROVIDER_OPT_OUT:
        return asked
    configured = str(current_app.config.get("HOTLINE_PROVIDER", ""))
    return configured if requires_templates(configured) else "alibaba"


@bp.get("/")
def index() -> Any:
    """Texts without an approved template first, then every registered template."""
    provider = page_provider()
    with get_db().begin() as session:
        gaps = coverage(session, provider)
        rows = session.scalars(select(SmsTemplate).where(SmsTemplate.provider == provider)
                               .order_by(SmsTemplate.approval, SmsTemplate.purpose,
                                         SmsTemplate.code)).all()
        offices: dict[int | None, str] = {
            oid: name for oid, name in session.execute(select(Organisation.id,
                                                              Organisation.name))}
        templates = [{"row": t, "office": offices.get(t.organisation_id),
                      "findings": [f.zh for f in check_template(t.text, t.kind, t.signature)]}
                     for t in rows]
        return render_template("staff/sms_templates.html", provider=provider, gaps=gaps,
                               templates=templates, signature=usual_signature(session, provider),
                               in_use=current_app.config.get("HOTLINE_PROVIDER") == provider)


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
    raw_id = request.form.get("template_id", "")
    if action not in ("approve", "reject") or not raw_id.isdigit():
        abort(400)
    with get_db().begin() as session:
        template = session.get(SmsTemplate, int(raw_id))
        if template is None:
            abort(404)
        template.approval = (TemplateApproval.APPROVED if action == "approve"
                             else TemplateApproval.REJECTED)
        code, provider = template.code, template.provider
    flash(_("Template %(code)s marked approved.", code=code) if action == "approve" else
          _("Template %(code)s marked rejected: it will not be sent.", code=code), "info")
    return redirect(url_for("templates_admin.index", provider=provider), code=303)


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
