"""Campaign pages: compose with a live segment count, preview, send, watch, pause, report.

Everything that sends is the campaigns engine's (notifications.campaigns);
these views only read forms, call it, and draw what it returns.
"""

from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import and_, func, select, true
from werkzeug.datastructures import MultiDict

from hotline.infra.db import get_db
from hotline.web.access import campaign_or_404, campaign_scope, guard, signed_in_user
from hotline.web.english_texts import error_text
from hotline.web.i18n import gettext as _
from hotline.web.stats import local_zone
from hotline.web.templates_admin import campaign_with_template
from models import CaseCategory, Contact, Role, User
from models.campaign import Campaign, CampaignKind, CampaignStatus
from notifications.campaigns import control as control
from notifications.campaigns.audience import NO_ORGANISATION, Audience, BadAudience, audience_size
from notifications.campaigns.compose import (
    CampaignNotReady,
    CampaignSpec,
    cached_estimate,
    check_campaign,
    create_campaign,
    preview,
)
from notifications.campaigns.rendering import (
    TemplateError,
    compose,
    pick_template,
    placeholders,
    variant_bodies,
)
from notifications.campaigns.report import progress, report, write_report_csv
from notifications.segments import count_segments

bp = Blueprint("campaigns_web", __name__, url_prefix="/staff/campaigns")
bp.before_request(guard(Role.ADMIN, Role.STAFF))
LANGUAGES = ("zh", "en")
LIVE = (CampaignStatus.SCHEDULED, CampaignStatus.SENDING, CampaignStatus.PAUSED)
FINISHED = (CampaignStatus.PAUSED, CampaignStatus.DONE, CampaignStatus.CANCELLED)


def split_list(raw: str | None) -> list[str]:
    """'a, b，c' → ['a', 'b', 'c'] (ASCII or full-width commas)."""
    return [p.strip() for p in (raw or "").replace("，", ",").split(",") if p.strip()]


def audience_organisation(user: User) -> int | None:
    """Whose contacts a user may text: admins everyone's (None), staff their organisation's."""
    if user.role == Role.ADMIN:
        return None
    return user.organisation_id if user.organisation_id is not None else NO_ORGANISATION


def audience_from(form: MultiDict[str, str], user: User) -> Audience:
    """The audience filter from the compose form, limited to the user's organisation."""
    has_open = {"yes": True, "no": False}.get(form.get("has_open_case", ""))
    number = form.get("number", "")
    return Audience.from_dict({
        "languages": [x for x in form.getlist("languages") if x in LANGUAGES],
        "provinces": split_list(form.get("provinces")), "cities": split_list(form.get("cities")),
        "tags": split_list(form.get("tags")), "case_categories": form.getlist("case_categories"),
        "has_open_case": has_open, "exclude_stale": number in ("fresh", "verified"),
        "verified": True if number == "verified" else None,
        "require_consent": form.get("require_consent") == "1",
        "organisation_id": audience_organisation(user)})


def spec_from(form: MultiDict[str, str], user: User) -> CampaignSpec:
    """A CampaignSpec from the compose form; ValueError says what is wrong."""
    name = form.get("name", "").strip()
    if not name or len(name) > 120:
        raise ValueError(_("Give the campaign a name (up to 120 characters)."))
    variants = {lang: form.get(f"text_{lang}", "").strip() for lang in LANGUAGES}
    variants = {lang: text for lang, text in variants.items() if text}
    try:
        price = Decimal(form["price"]) if form.get("price") else None
    except InvalidOperation as exc:
        raise ValueError(_("Price per segment must be a number.")) from exc
    return campaign_with_template(CampaignSpec(  # on a template carrier: the template's text
        name=name, variants=variants, audience=audience_from(form, user),
        kind=CampaignKind.RECHECK if form.get("kind") == "recheck" else CampaignKind.BROADCAST,
        signature=form.get("signature", "").strip()[:20] or None,
        footer=form.get("footer") == "1", default_language=form.get("default_language", "zh"),
        rsvp_keywords=split_list(form.get("rsvp")), quiet_hours=form.get("quiet") or None,
        price_per_segment=price), form, user)


@bp.get("/")
def list_campaigns() -> Any:
    """The user's organisation's campaigns (an admin's: all), newest first, with progress."""
    with get_db().begin() as session:
        rows = session.scalars(select(Campaign).where(campaign_scope(signed_in_user()))
                               .order_by(Campaign.id.desc()).limit(100)).all()
        return render_template("campaigns/list.html",
                               campaigns=control.progress_many(session, rows))


@bp.get("/new")
def new() -> Any:
    """The compose form."""
    return render_template("campaigns/new.html", form=MultiDict({"footer": "1"}),
                           categories=list(CaseCategory), languages=LANGUAGES)


@bp.post("/estimate")
def draft_estimate() -> Any:
    """htmx: per language, segments of the text as typed, recipients and cost; audience size."""
    form = request.form
    draft = Campaign(signature=form.get("signature", "").strip()[:20] or None,
                     footer=form.get("footer") == "1")
    try:
        price = Decimal(form.get("price") or "0")
    except InvalidOperation:
        price = Decimal(0)
    texts = {lang: form.get(f"text_{lang}", "").strip() for lang in LANGUAGES}
    texts = {lang: text for lang, text in texts.items() if text}
    default = form.get("default_language", "zh")
    with get_db().begin() as session:
        try:
            audience = audience_from(form, signed_in_user())
            size: int | None = audience_size(session, audience)
            by_language = dict(session.execute(
                select(Contact.language, func.count()).where(and_(true(), *audience.conditions()))
                .group_by(Contact.language)).all())
        except BadAudience:
            size, by_language = None, {}
    people: dict[str, int] = {}
    if default in texts:  # who gets which text: their language's, else the default one
        for language, n in by_language.items():
            lang = pick_template(texts, language, default)[0]
            people[lang] = people.get(lang, 0) + int(n)
    rows: list[dict[str, Any]] = []
    for lang, text in texts.items():
        seg = count_segments(compose(draft, text, lang))
        recipients = people.get(lang, 0)
        rows.append({"language": lang, "segments": seg.segments, "encoding": seg.encoding,
                     "units": seg.units, "cost": price * seg.segments,
                     "recipients": recipients, "total": price * seg.segments * recipients,
                     "personal": _personal(text)})
    return render_template("campaigns/_estimate.html", rows=rows, audience=size, price=price,
                           total=sum((r["total"] for r in rows), Decimal(0)))


def _personal(text: str) -> bool:
    # With {placeholders} the count is for the text as typed; the draft page has the exact one.
    try:
        return bool(placeholders(text))
    except TemplateError:
        return True


@bp.post("/")
def create() -> Any:
    """Save the composed campaign as a draft and show its preview."""
    try:
        user = signed_in_user()
        spec = spec_from(request.form, user)
        with get_db().begin() as session:
            created = create_campaign(session, spec)
            created.organisation_id, created.created_by = user.organisation_id, user.username[:60]
            campaign_id = created.id
    except (ValueError, TemplateError, BadAudience) as exc:
        flash(_("Campaign not saved: %(reason)s", reason=error_text(exc)), "error")
        return render_template("campaigns/new.html", form=request.form,
                               categories=list(CaseCategory), languages=LANGUAGES), 400
    return redirect(url_for("campaigns_web.campaign_page", campaign_id=campaign_id), code=303)


@bp.get("/<int:campaign_id>")
def campaign_page(campaign_id: int) -> Any:
    """A campaign: texts, audience, exact estimate, preview, problems, controls, progress."""
    with get_db().begin() as session:
        campaign = campaign_or_404(session, signed_in_user(), campaign_id)
        draft = campaign.status == CampaignStatus.DRAFT
        return render_template(
            "campaigns/show.html", campaign=campaign, p=progress(session, campaign),
            bodies=variant_bodies(session, campaign.id),
            estimate=cached_estimate(session, campaign) if draft else None,
            preview=preview(session, campaign) if draft else [],
            problems=check_campaign(session, campaign) if draft else [],
            # The report is a snapshot: shown once sending stops; the progress bar is live.
            report=report(session, campaign) if campaign.status in FINISHED else None)


@bp.get("/<int:campaign_id>/progress")
def progress_fragment(campaign_id: int) -> Any:
    """htmx (polled every second while live) or JSON: the progress bar's numbers."""
    with get_db().begin() as session:
        campaign = campaign_or_404(session, signed_in_user(), campaign_id)
        data = progress(session, campaign)
    if request.args.get("format") == "json":
        return data
    live = campaign.status in LIVE
    if request.headers.get("HX-Request") and not live:
        # Sending stopped: reload the whole page so its buttons and report match.
        return Response("", headers={"HX-Refresh": "true"})
    return render_template("campaigns/_progress.html", p=data, live=live)


def parse_schedule(raw: str) -> datetime | None:
    """A datetime-local value in the office's time zone; '' = now."""
    if not raw:
        return None
    try:
        return datetime.fromisoformat(raw).replace(tzinfo=local_zone())
    except ValueError as exc:
        raise CampaignNotReady([_("The time must look like 2024-05-01T09:30.")]) from exc


@bp.post("/<int:campaign_id>/<any(start, pause, resume, cancel):action>")
def control_campaign(campaign_id: int, action: str) -> Any:
    """Start (now or at a time), pause, resume or cancel; the engine refuses what it must."""
    with get_db().begin() as session:
        campaign_or_404(session, signed_in_user(), campaign_id)
    try:
        if action == "start":
            control.request_start(campaign_id, parse_schedule(request.form.get("at", "")))
        else:
            getattr(control, action)(campaign_id)
    except control.CampaignNotFound:
        abort(404)
    except CampaignNotReady as exc:
        flash(_("Not done: %(reason)s", reason="; ".join(map(error_text, exc.problems))),
              "error")
    except ValueError as exc:  # InvalidTransition: e.g. pausing a finished campaign
        flash(_("Not done: %(reason)s", reason=error_text(exc)), "error")
    return redirect(url_for("campaigns_web.campaign_page", campaign_id=campaign_id), code=303)


@bp.get("/<int:campaign_id>/report.csv")
def report_csv(campaign_id: int) -> Any:
    """The campaign report as CSV."""
    with get_db().begin() as session:
        data = report(session, campaign_or_404(session, signed_in_user(), campaign_id))
    out = io.StringIO()
    write_report_csv(data, out)
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="campaign-{campaign_id}.csv"'})
