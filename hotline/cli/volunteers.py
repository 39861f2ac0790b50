"""`hotline volunteer ...`: add, import from CSV, list; organisations; hand a case over to
another office (`hotline volunteer transfer`)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hotline import create_app
from hotline.infra.db import get_db
from hotline.matching import current_load
from hotline.organisations import hand_over_case
from hotline.phones import InvalidPhone, normalize_phone
from hotline.volunteer_import import (
    ImportReport,
    import_volunteers,
    parse_row,
    read_text,
    save_volunteer,
)
from models import Case, Organisation, Volunteer
from notifications.csv_rows import UnreadableCsv


def make_app() -> Flask:
    """The app as configured by the environment."""
    return create_app()


@click.group("volunteer")
def volunteer() -> None:
    """Manage volunteers, organisations and cases handed over to another office."""


@volunteer.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and report; change nothing.")
def import_csv(csv_file: Path, dry_run: bool) -> None:
    """Create or update volunteers from CSV_FILE; bad rows are listed and skipped."""
    try:
        text = read_text(csv_file)
    except UnreadableCsv as exc:
        raise click.ClickException(f"{csv_file}: {exc}") from exc
    app = make_app()
    with app.app_context(), get_db().sessions() as session:
        report = import_volunteers(session, text)
        if dry_run:
            session.rollback()
        else:
            session.commit()
    for error in report.errors:
        click.echo(f"error: {error}", err=True)
    verb = "would create" if dry_run else "created"
    click.echo(f"{verb} {report.created}, updated {report.updated}, "
               f"{len(report.errors)} error(s); new organisations: "
               f"{', '.join(report.organisations_created) or 'none'}")
    if report.errors:
        raise SystemExit(1)


@volunteer.command("add")
@click.option("--name", required=True)
@click.option("--phone", required=True)
@click.option("--languages", default="zh", show_default=True, help="e.g. zh;en")
@click.option("--dialects", default="", help="e.g. 河南话;粤语")
@click.option("--skills", default="", help="Case categories, e.g. wages;injury")
@click.option("--regions", default="", help="Provinces/cities served, e.g. 广东;深圳")
@click.option("--home-province", default="")
@click.option("--capacity", default="3", show_default=True)
@click.option("--shifts", default="", help="e.g. 'mon-fri 09:00-18:00; sat 10:00-14:00'")
@click.option("--timezone", default="Asia/Shanghai", show_default=True)
@click.option("--organisation", default="")
@click.option("--on-duty/--off-duty", default=True)
def add(on_duty: bool, **fields: str) -> None:
    """Add (or update) one volunteer, validated like a CSV row."""
    values, errors = parse_row({**fields, "on_duty": "yes" if on_duty else "no"}, line=1)
    if errors:
        raise click.UsageError("; ".join(f"{e.column}: {e.message}" for e in errors))
    app = make_app()
    report = ImportReport()
    with app.app_context(), get_db().begin() as session:
        save_volunteer(session, values, report)
    click.echo(f"{'added' if report.created else 'updated'} volunteer {values['name']} "
               f"{values['phone']}")


@volunteer.command("list")
def list_volunteers() -> None:
    """Print every volunteer with duty, load and profile."""
    app = make_app()
    with app.app_context(), get_db().begin() as session:
        load = current_load(session)
        for v in session.scalars(select(Volunteer).order_by(Volunteer.id)):
            duty = "ON " if v.on_duty else "off"
            click.echo(f"{v.id:>4} {duty} {load.get(v.id, 0)}/{v.capacity} {v.name} {v.phone} "
                       f"langs={','.join(v.languages)} dialects={','.join(v.dialects)} "
                       f"skills={','.join(v.skills)} regions={','.join(v.regions)}")


@volunteer.command("org-add")
@click.argument("name")
@click.option("--region", default=None)
@click.option("--staff", default="", help="Comma-separated on-duty staff phone numbers.")
def org_add(name: str, region: str | None, staff: str) -> None:
    """Create an organisation (or update its region and staff numbers)."""
    try:
        numbers = [normalize_phone(n) for n in staff.split(",") if n.strip()]
    except InvalidPhone as exc:
        raise click.BadParameter(str(exc), param_hint="--staff") from exc
    app = make_app()
    with app.app_context(), get_db().begin() as session:
        org = session.scalar(select(Organisation).where(Organisation.name == name))
        if org is None:
            org = Organisation(name=name)
            session.add(org)
        org.region, org.staff_numbers = region or org.region, numbers or org.staff_numbers
    click.echo(f"organisation {name}: staff {', '.join(numbers) or '(unchanged)'}")


@volunteer.command("org-extend-code")
@click.argument("name")
@click.argument("code", required=False)
@click.option("--clear", is_flag=True, help="Remove the office's extend code.")
def org_extend_code(name: str, code: str | None, clear: bool) -> None:
    """Set the Alibaba SMS extend code (digits) the office NAME's texts go out with, so a
    worker's reply names the office it answers; --clear removes it."""
    # Here, not at the top: the Alibaba package loads the carrier's SDK (aiohttp, Tea: most of a
    # second), which no other `hotline` command (nor `hotline --help`) needs.
    from notifications.providers.alibaba.push import BadExtendCode, extend_code

    if clear == (code is not None):
        raise click.UsageError("give either a CODE or --clear")
    try:
        wanted = None if clear else extend_code(code or "")
    except BadExtendCode as exc:
        raise click.BadParameter(str(exc), param_hint="CODE") from exc
    app = make_app()
    def taken(holder: str) -> click.ClickException:
        return click.ClickException(f"extend code {wanted} is already {holder}'s: replies "
                                    "could not tell the two offices apart")

    try:
        with app.app_context(), get_db().begin() as session:
            org = session.scalar(select(Organisation).where(Organisation.name == name)
                                 .with_for_update())
            if org is None:
                raise click.ClickException(f"no organisation named {name!r} "
                                           "(add it: hotline volunteer org-add)")
            holder = session.scalar(select(Organisation.name).where(
                Organisation.sms_extend_code == wanted, Organisation.id != org.id)
                ) if wanted else None
            if holder is not None:
                raise taken(repr(holder))
            org.sms_extend_code = wanted
    except IntegrityError as exc:  # another office took it at the same moment
        raise taken("another organisation") from exc
    click.echo(f"organisation {name}: extend code {wanted or '(none)'}")


@volunteer.command("org-list")
def org_list() -> None:
    """Print every organisation with its region, extend code and staff numbers."""
    app = make_app()
    with app.app_context(), get_db().begin() as session:
        for org in session.scalars(select(Organisation).order_by(Organisation.id)):
            click.echo(f"{org.id:>4} {org.name} region={org.region or '-'} "
                       f"extend_code={org.sms_extend_code or '-'} "
                       f"staff={len(org.staff_numbers or [])}")


@volunteer.command("transfer")
@click.argument("case_number", type=int)
@click.argument("organisation")
@click.option("--note", required=True, help="Why, for the receiving organisation.")
def hand_over(case_number: int, organisation: str, note: str) -> None:
    """Hand case CASE_NUMBER over to ORGANISATION's queue, keeping its history."""
    app = make_app()
    with app.app_context(), get_db().begin() as session:
        case = session.scalar(select(Case).where(Case.number == case_number)
                              .with_for_update())
        org = session.scalar(select(Organisation).where(Organisation.name == organisation))
        if case is None or org is None:
            raise click.ClickException(f"no {'case' if case is None else 'organisation'} "
                                       f"{case_number if case is None else organisation!r}")
        try:
            hand_over_case(session, case, org, note, actor="cli")
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"case {case_number} transferred to {organisation}")
