"""`hotline privacy ...`: a worker's right of access and erasure, and the retention period."""

from __future__ import annotations

import json
from pathlib import Path

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.cli.app import make_app
from hotline.consent import LOG_COLUMNS, OPT_OUT_COLUMNS, consent_log, opt_out_list, stamp
from hotline.infra.db import get_db
from hotline.phones import InvalidPhone, normalize_phone
from hotline.privacy import (
    RecordingNotDeleted,
    erase_contact,
    export_contact,
    find_contact,
    run_retention,
)
from hotline.web.stats import local_zone
from models import AuditLog, Organisation, Role, User
from models.user import AuditAction
from notifications.campaigns.audience import organisation_condition
from notifications.csv_safe import safe_writer


@click.group("privacy")
def privacy() -> None:
    """Export or erase one worker's data; apply the retention period now."""


def accountable_user(session: Session, username: str) -> User:
    """The admin or staff account answerable for this request (it goes in the audit log)."""
    user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))
    if user is None or user.role not in (Role.ADMIN, Role.STAFF):
        raise click.BadParameter("no active admin or staff account of that name", param_hint="--by")
    return user


def phone_of(raw: str) -> str:
    """The E.164 number, or a usage error that says why."""
    try:
        return normalize_phone(raw)
    except InvalidPhone as exc:
        raise click.BadParameter(str(exc), param_hint="PHONE") from exc


@privacy.command("export")
@click.argument("phone")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="File to write (JSON, UTF-8, readable).")
@click.option("--by", "username", required=True, help="Your admin/staff username (audited).")
def export(phone: str, out: Path, username: str) -> None:
    """Write everything held about one worker to a file (their right of access)."""
    number = phone_of(phone)
    with make_app().app_context(), get_db().begin() as session:
        user = accountable_user(session, username)
        contact = find_contact(session, number)
        if contact is None:
            raise click.ClickException("no worker with that number is on record")
        data = export_contact(session, contact)
        session.add(AuditLog(user_id=user.id, action=AuditAction.EXPORT_CONTACT,
                             contact_id=contact.id, detail="cli export"))
    out.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    click.echo(f"wrote {len(data['cases'])} case(s), {len(data['messages'])} message(s), "
               f"{len(data['calls'])} call(s) to {out}")


@privacy.command("erase")
@click.argument("phone")
@click.option("--by", "username", required=True, help="Your admin username (audited).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def erase(phone: str, username: str, yes: bool) -> None:
    """Erase one worker's personal data, keeping anonymous rows so figures stay the same."""
    number = phone_of(phone)
    if not yes:
        click.confirm("This removes the worker's number, name, texts and recordings for good. "
                      "Go on?", abort=True)
    with make_app().app_context():
        try:
            with get_db().begin() as session:
                user = accountable_user(session, username)
                if user.role != Role.ADMIN:
                    raise click.BadParameter("only an admin may erase", param_hint="--by")
                contact = find_contact(session, number)
                if contact is None:
                    raise click.ClickException("no worker with that number is on record")
                report = erase_contact(session, contact)
                session.add(AuditLog(user_id=user.id, action=AuditAction.ERASE_CONTACT,
                                     contact_id=contact.id,
                                     detail=json.dumps(report.as_dict())))
        except RecordingNotDeleted as exc:
            raise click.ClickException(f"{exc}; nothing was erased, try again later") from exc
    click.echo("erased: " + ", ".join(f"{k} {v}" for k, v in report.as_dict().items()))
    for note in report.notes:
        click.echo(f"note: {note}")


@privacy.command("retention")
def retention() -> None:
    """Apply the retention period now (the beat does it daily)."""
    with make_app().app_context():
        counts = run_retention()
    click.echo("retention: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


def _write_consent_csv(out: Path, username: str, organisation: str | None, what: str) -> int:
    """Write the consent log or the opt-out list as CSV (audited); how many rows."""
    with make_app().app_context(), get_db().begin() as session:
        user = accountable_user(session, username)
        scope = None
        if organisation:
            org_id = session.scalar(select(Organisation.id).where(
                Organisation.name == organisation))
            if org_id is None:
                raise click.BadParameter("no organisation of that name",
                                         param_hint="--organisation")
            scope = organisation_condition(org_id)
        zone, count = local_zone(), 0
        with out.open("w", newline="", encoding="utf-8") as handle:
            writer = safe_writer(handle)
            if what == "consent log":
                writer.writerow(LOG_COLUMNS)
                for at, phone, action, source, evidence in consent_log(session, scope):
                    writer.writerow([stamp(at, zone), phone or "(erased)", action, source,
                                     evidence or ""])
                    count += 1
            else:
                writer.writerow(OPT_OUT_COLUMNS)
                for phone, when, how, evidence in opt_out_list(session, scope):
                    writer.writerow([phone, stamp(when, zone), how or "", evidence or ""])
                    count += 1
        session.add(AuditLog(user_id=user.id, action=AuditAction.EXPORT_CONSENT,
                             detail=f"cli {what}{f' of {organisation}' if organisation else ''}"
                                    f": {count} rows"))
    return count


@privacy.command("consent-log")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="CSV file to write (UTF-8).")
@click.option("--by", "username", required=True, help="Your admin/staff username (audited).")
@click.option("--organisation", default=None, help="Only this organisation's contacts.")
def consent_log_cmd(out: Path, username: str, organisation: str | None) -> None:
    """Every consent given or withdrawn, with how and the evidence, for an auditor."""
    count = _write_consent_csv(out, username, organisation, "consent log")
    click.echo(f"wrote {count} consent record(s) to {out}")


@privacy.command("opt-outs")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="CSV file to write (UTF-8).")
@click.option("--by", "username", required=True, help="Your admin/staff username (audited).")
@click.option("--organisation", default=None, help="Only this organisation's contacts.")
def opt_outs_cmd(out: Path, username: str, organisation: str | None) -> None:
    """Every worker who asked for no bulk SMS (or whose carrier said so), for an auditor."""
    count = _write_consent_csv(out, username, organisation, "opt-out list")
    click.echo(f"wrote {count} opted-out number(s) to {out}")
