"""`hotline campaign ...`: import contacts, create, estimate, preview, send (--follow), control,
report. Every command is a thin layer over notifications.campaigns.compose and friends."""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import sys
import time
from datetime import datetime
from decimal import Decimal
from typing import Any

import click
from flask import Flask
from sqlalchemy import select

from hotline import create_app
from hotline.consent import BadConsentSource, clean_source
from hotline.infra.db import get_db
from hotline.phones import InvalidPhone, normalize_phone
from models import Campaign, CampaignKind, InvalidTransition, Organisation
from notifications.campaigns import control as control
from notifications.campaigns.audience import (
    Audience,
    BadAudience,
    audience_size,
    left_out_for_consent,
)
from notifications.campaigns.compose import (
    CampaignNotReady,
    CampaignSpec,
    check_campaign,
    estimate,
    preview,
)
from notifications.campaigns.compose import create_campaign as create
from notifications.campaigns.control import CampaignNotFound, request_start, tick_now
from notifications.campaigns.rendering import TemplateError
from notifications.campaigns.report import progress, recipient_rows, report, write_report_csv
from notifications.campaigns.templated import parse_params, templated_variants
from notifications.contact_import import (
    BadHeader,
    ImportConsent,
    RowError,
    import_contacts,
    rows_from_file,
)
from notifications.csv_safe import safe_writer
from notifications.templates import configured_provider


def _app() -> Flask:
    app = create_app()
    ctx = app.app_context()
    ctx.push()
    click.get_current_context().call_on_close(ctx.pop)  # popped when the command ends
    return app


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@click.group()
def campaign() -> None:
    """Bulk SMS campaigns: contacts, audiences, texts, sending and reports."""


@campaign.command("import-contacts")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--errors", "errors_path", type=click.Path(dir_okay=False),
              help="Write the rejected rows here as CSV (row, column, value, reason).")
@click.option("--encoding", default="utf-8-sig", show_default=True,
              help="File encoding (gbk for Excel files from Chinese Windows).")
@click.option("--organisation", default=None,
              help="Organisation name: its staff may then text these contacts.")
@click.option("--consent-source", default=None,
              help="How these workers agreed to bulk SMS, kept as evidence, e.g. "
                   "'2026年春节返乡登记表，本人勾选同意'. Without it (or a 同意来源 column) the "
                   "contacts have no consent on record: campaigns requiring consent leave "
                   "them out.")
def import_contacts_cmd(path: str, errors_path: str | None, encoding: str,
                        organisation: str | None, consent_source: str | None) -> None:
    """Import contacts from a CSV (phone, name, language, province, city, tags, timezone)."""
    _app()
    try:
        with get_db().begin() as session:
            org_id = _organisation_id(session, organisation) if organisation else None
        consent = ImportConsent(clean_source(consent_source), f"imported from "
                                f"{os.path.basename(path)} with the command line by "
                                f"{getpass.getuser()}")
    except BadConsentSource as exc:
        raise click.BadParameter(str(exc), param_hint="--consent-source") from exc
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    with contextlib.ExitStack() as stack:
        out = (stack.enter_context(open(errors_path, "w", newline="", encoding="utf-8"))
               if errors_path else sys.stderr)
        writer = safe_writer(out)
        writer.writerow(["row", "column", "value", "reason"])

        def report(error: RowError) -> None:
            writer.writerow([error.row, error.column, error.value, error.reason])

        started = time.monotonic()
        try:
            summary = import_contacts(get_db(), rows_from_file(path, encoding), report,
                                      organisation_id=org_id, consent=consent)
        except BadHeader as exc:
            raise click.ClickException(str(exc)) from exc
    elapsed = time.monotonic() - started
    _echo_json({**summary.as_dict(), "seconds": round(elapsed, 2),
                "rows_per_second": round(summary.rows / elapsed) if elapsed else None})


def _parse_texts(texts: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in texts:
        language, sep, body = item.partition("=")
        if not sep or not language.strip() or not body.strip():
            raise click.BadParameter(f"expected LANG=TEXT, got {item!r}", param_hint="--text")
        out[language.strip()] = body
    return out


@campaign.command("create")
@click.option("--name", required=True)
@click.option("--text", "texts", multiple=True,
              help="LANG=TEXT, e.g. 'zh={name}您好，培训周六开始，回复1报名' (repeatable).")
@click.option("--template", "template_code", default=None,
              help="An approved carrier template's code: the text is the template's.")
@click.option("--param", "params", multiple=True, help="name=value for a template parameter "
              "(the campaign's own fields such as name, case_number are filled per recipient; "
              "a value given for one is used where a recipient has none).")
@click.option("--tag", "tags", multiple=True, help="Contacts with any of these tags.")
@click.option("--language", "languages", multiple=True)
@click.option("--province", "provinces", multiple=True, help="Home province.")
@click.option("--city", "cities", multiple=True, help="Work city.")
@click.option("--category", "categories", multiple=True, help="Has a case of this category.")
@click.option("--open-case/--no-open-case", default=None, help="Has (or has no) open case.")
@click.option("--exclude-stale", is_flag=True,
              help="Leave out numbers a re-check found stale.")
@click.option("--verified-only", is_flag=True,
              help="Only numbers confirmed by a re-check (implies --exclude-stale).")
@click.option("--require-consent", is_flag=True,
              help="Only contacts with explicit consent on record (imported with a consent "
                   "source, or texted 订阅/START); having texted the hotline is not enough.")
@click.option("--recheck", is_flag=True, help="A 'reply 1 if still your number' re-check.")
@click.option("--sender", default=None, help="From number or Messaging Service SID (MG...).")
@click.option("--signature", default=None, help="Shown as 【签名】 at the start.")
@click.option("--no-footer", is_flag=True, help="Leave out 回复TD退订.")
@click.option("--rsvp", "rsvp", multiple=True, help="Reply keyword counted as a sign-up.")
@click.option("--rate", type=float, default=None, help="Segments per second for this sender.")
@click.option("--quiet-hours", default=None, help="e.g. 21:00-08:00 (recipient's time).")
@click.option("--price", type=Decimal, default=None, help="Price per segment.")
@click.option("--organisation", default=None,
              help="Organisation name: only its contacts are texted (imported by it or with a "
                   "case in its queue, as on the web) and its staff see and steer the campaign "
                   "(default: every contact, admins only).")
def create_cmd(name: str, texts: tuple[str, ...], template_code: str | None,
               params: tuple[str, ...], tags: tuple[str, ...],
               languages: tuple[str, ...], provinces: tuple[str, ...], cities: tuple[str, ...],
               categories: tuple[str, ...], open_case: bool | None, exclude_stale: bool,
               verified_only: bool, require_consent: bool, recheck: bool,
               sender: str | None, signature: str | None, no_footer: bool,
               rsvp: tuple[str, ...], rate: float | None, quiet_hours: str | None,
               price: Decimal | None, organisation: str | None) -> None:
    """Create a draft campaign and print its id, audience size and problems."""
    _app()
    if bool(texts) == bool(template_code):
        raise click.UsageError("give either --text or --template")
    variants = _parse_texts(texts)
    try:
        with get_db().begin() as session:
            org_id = _organisation_id(session, organisation) if organisation else None
        # An office's campaign reaches that office's contacts only, as one made on the web by
        # its staff (notifications.campaigns.audience.organisation_condition).
        audience = Audience.from_dict({
            "tags": list(tags), "languages": list(languages), "provinces": list(provinces),
            "cities": list(cities), "case_categories": list(categories),
            "has_open_case": open_case, "exclude_stale": exclude_stale or verified_only,
            "verified": True if verified_only else None, "organisation_id": org_id,
            "require_consent": require_consent})
        spec = CampaignSpec(
            name=name, variants=variants, audience=audience, sender=sender,
            kind=CampaignKind.RECHECK if recheck else CampaignKind.BROADCAST,
            signature=signature, footer=not no_footer, rsvp_keywords=list(rsvp),
            default_language="zh" if "zh" in variants else next(iter(variants), "zh"),
            rate_per_second=rate, quiet_hours=quiet_hours, price_per_segment=price)
        with get_db().begin() as session:
            _use_template(session, spec, template_code, params, org_id)
            created = create(session, spec)
            created.organisation_id, created.created_by = org_id, "cli"
            problems = check_campaign(session, created)
            size = audience_size(session, audience)
            no_consent = left_out_for_consent(session, audience)
    except (TemplateError, BadAudience, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    _echo_json({"id": created.id, "status": str(created.status), "audience": size,
                **({"left_out_without_consent": no_consent} if require_consent else {}),
                "problems": problems})


def _use_template(session: Any, spec: Any, code: str | None, params: tuple[str, ...],
                  org_id: int | None) -> None:
    """A campaign from an approved carrier template: its text, signature and no TD footer
    (the template carries the carrier's own opt-out wording)."""
    if code:
        language, body, template = templated_variants(
            session, configured_provider(), code, parse_params(list(params)), org_id)
        spec.variants, spec.default_language = {language: body}, language
        spec.signature, spec.footer = template.signature, False


def _organisation_id(session: Any, name: str) -> int:
    found = session.scalar(select(Organisation.id).where(Organisation.name == name))
    if found is None:
        raise ValueError(f"no organisation named {name!r} (add it: hotline volunteer org-add)")
    return int(found)


@campaign.command("estimate")
@click.argument("campaign_id", type=int)
def estimate_cmd(campaign_id: int) -> None:
    """Exact segments per variant over the audience, and the cost."""
    _app()
    with get_db().begin() as session:
        found = _get(session, campaign_id)
        _echo_json({**estimate(session, found), "problems": check_campaign(session, found)})


@campaign.command("preview")
@click.argument("campaign_id", type=int)
@click.option("--limit", default=5, show_default=True)
@click.option("--phone", "phones", multiple=True, help="Preview for these contacts.")
def preview_cmd(campaign_id: int, limit: int, phones: tuple[str, ...]) -> None:
    """The exact texts a few recipients would get."""
    _app()
    try:
        wanted = [normalize_phone(p) for p in phones]
    except InvalidPhone as exc:
        raise click.BadParameter(str(exc), param_hint="--phone") from exc
    with get_db().begin() as session:
        _echo_json(preview(session, _get(session, campaign_id), limit, wanted or None))


def _get(session: Any, campaign_id: int) -> Any:
    found = session.get(Campaign, campaign_id)
    if found is None:
        raise click.ClickException(f"no campaign {campaign_id}")
    return found


@campaign.command("send")
@click.argument("campaign_id", type=int)
@click.option("--at", "at", default=None, help="Schedule for this time (ISO 8601, with zone).")
@click.option("--follow", is_flag=True, help="Show a live progress bar until it finishes.")
def send_cmd(campaign_id: int, at: str | None, follow: bool) -> None:
    """Start (or schedule) a campaign; the workers send it."""
    _app()
    when = None
    if at:
        try:
            when = datetime.fromisoformat(at)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--at") from exc
        if when.tzinfo is None:
            raise click.BadParameter("give a time zone, e.g. 2025-01-20T09:00+08:00",
                                     param_hint="--at")
    try:
        started = request_start(campaign_id, when)
    except (CampaignNotFound, CampaignNotReady) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"campaign {campaign_id}: {started.status}")
    if follow:
        follow_progress(campaign_id)


def follow_progress(campaign_id: int, interval: float = 1.0) -> None:
    """Draw a progress bar with counts by status until the campaign stops moving."""
    def snapshot() -> dict[str, Any]:
        with get_db().begin() as session:
            return progress(session, _get(session, campaign_id))

    data = snapshot()
    while not data["materialized"] and data["status"] == "sending":
        time.sleep(interval)
        data = snapshot()
    shown = 0

    def counts_text() -> str:
        return " ".join(f"{k}={v}" for k, v in data["counts"].items() if v)

    with click.progressbar(length=max(data["total"], 1), label="sending",
                           show_pos=True) as bar:
        while True:
            bar.update(data["finished"] - shown)
            shown = data["finished"]
            bar.label = f"{data['status']} {counts_text()}"
            if data["status"] in ("done", "cancelled", "paused", "scheduled"):
                break
            time.sleep(interval)
            data = snapshot()
    # The bar redraws only on a terminal: the final counts are printed for logs and pipes too.
    click.echo(f"{counts_text()}\ncampaign {campaign_id}: {data['status']}")


@campaign.command("status")
@click.argument("campaign_id", type=int)
def status_cmd(campaign_id: int) -> None:
    """Progress as JSON (the same data the web UI gets)."""
    _app()
    with get_db().begin() as session:
        _echo_json(progress(session, _get(session, campaign_id)))


@campaign.command("control")
@click.argument("action", type=click.Choice(["pause", "resume", "cancel"]))
@click.argument("campaign_id", type=int)
def control_cmd(action: str, campaign_id: int) -> None:
    """Pause, resume or cancel a campaign."""
    _app()
    try:
        changed = getattr(control, action)(campaign_id)
    except (control.CampaignNotFound, CampaignNotReady, InvalidTransition) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"campaign {campaign_id}: {changed.status}")


@campaign.command("report")
@click.argument("campaign_id", type=int)
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), help="Write the report.")
@click.option("--recipients", "recipients_path", type=click.Path(dir_okay=False),
              help="Write one row per recipient (phones masked unless --full-phones).")
@click.option("--full-phones", is_flag=True)
def report_cmd(campaign_id: int, csv_path: str | None, recipients_path: str | None,
               full_phones: bool) -> None:
    """Totals, delivery rate, failures by code, opt-outs, sign-ups and cost."""
    _app()
    with get_db().begin() as session:
        data = report(session, _get(session, campaign_id))
        if recipients_path:
            with open(recipients_path, "w", newline="", encoding="utf-8") as out:
                safe_writer(out).writerows(recipient_rows(session, campaign_id, full_phones))
    if csv_path:
        with open(csv_path, "w", newline="", encoding="utf-8") as out:
            write_report_csv(data, out)
    _echo_json(data)


@campaign.command("tick")
def tick_cmd() -> None:
    """Run one campaign tick now (start due, wake held/stalled, reconcile)."""
    _app()
    _echo_json(tick_now())
