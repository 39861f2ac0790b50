"""`hotline templates ...`: the carrier templates an office registers, as data.

    list [--provider alibaba]              templates, then the texts no approved one carries
    add --provider alibaba --code SMS_1 ...  register a template (checked against the rules)
    approve CODE / reject CODE             record the carrier's review
    draft --signature 工友热线 --out F.csv   every text the hotline sends, as drafts to submit
    import F.csv                           read back the codes the carrier gave (a bad row is
                                           reported with its line, the good ones kept)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import create_app
from hotline.infra.db import get_db
from hotline.template_registry import BadResultsFile, import_reviews, register_template
from models import Organisation, SmsTemplate, TemplateApproval, TemplateKind
from notifications.csv_rows import UnreadableCsv, decode_csv
from notifications.providers import PROVIDER_OPT_OUT
from notifications.template_drafts import draft_rows, flagged, write_drafts
from notifications.template_rules import check_signature
from notifications.templates import coverage, current_fixed, parameters

PROVIDERS = click.Choice(sorted(PROVIDER_OPT_OUT))


def _app() -> Any:
    app = create_app()
    ctx = app.app_context()
    ctx.push()
    click.get_current_context().call_on_close(ctx.pop)
    return app


def _organisation_id(session: Session, name: str | None) -> int | None:
    if not name:
        return None
    found = session.scalar(select(Organisation.id).where(Organisation.name == name))
    if found is None:
        raise click.ClickException(f"no organisation named {name!r}")
    return int(found)


@click.group()
def templates() -> None:
    """Carrier templates (Alibaba Cloud SMS): register, review, draft, import, coverage."""


@templates.command("list")
@click.option("--provider", type=PROVIDERS, default="alibaba", show_default=True)
@click.option("--organisation", default=None, help="Coverage for this office (default: shared).")
def list_cmd(provider: str, organisation: str | None) -> None:
    """The registered templates, then the texts no approved template carries yet."""
    _app()
    with get_db().begin() as session:
        org_id = _organisation_id(session, organisation)
        rows = session.scalars(select(SmsTemplate).where(SmsTemplate.provider == provider)
                               .order_by(SmsTemplate.purpose, SmsTemplate.code)).all()
        for t in rows:
            click.echo(f"{t.code}\t{t.approval}\t{t.kind}\t{t.purpose}\t【{t.signature}】{t.text}")
        gaps = coverage(session, provider, org_id)
    click.echo(f"{len(rows)} template(s); {len(gaps)} text(s) without an approved template"
               + (":" if gaps else "."))
    for gap in gaps:
        click.echo(f"  {gap.purpose} ({gap.language}): {gap.sample}")


def _echo_findings(found: list[Any]) -> None:
    for finding in found:
        click.echo(f"{finding} / {finding.zh}", err=True)


@templates.command("add")
@click.option("--provider", type=PROVIDERS, default="alibaba", show_default=True)
@click.option("--code", required=True, help="The carrier's TemplateCode, e.g. SMS_123456789.")
@click.option("--purpose", default="", help="What it says: offer, case_opened, campaign, "
              "other... (default: the hotline text the template carries).")
@click.option("--kind", type=click.Choice([k.value for k in TemplateKind]), default="notification",
              show_default=True)
@click.option("--signature", required=True, help="The registered 签名, without 【】.")
@click.option("--text", required=True, help="The template text with ${name} parameters.")
@click.option("--organisation", default=None, help="Only this office uses it (default: all).")
@click.option("--approved", is_flag=True, help="The carrier has already approved it.")
@click.option("--domain", "domains", multiple=True, help="A registered domain links may use.")
@click.option("--force", is_flag=True, help="Register despite rule errors (it is at the "
              "carrier already).")
def add_cmd(provider: str, code: str, purpose: str, kind: str, signature: str, text: str,
            organisation: str | None, approved: bool, domains: tuple[str, ...],
            force: bool) -> None:
    """Register a template; refused when it breaks the carrier's rules (unless --force)."""
    _app()
    with get_db().begin() as session:
        org_id = _organisation_id(session, organisation)
        done = register_template(session, provider, code, purpose, kind, signature, text,
                                 organisation_id=org_id, approved=approved, domains=domains,
                                 force=force)
        _echo_findings(done.findings)
        if done.problems:
            raise click.ClickException("not added: " + "; ".join(map(str, done.problems)))
        if done.template is None:
            raise click.ClickException(f"not added: {len(done.rule_errors)} rule(s) broken "
                                       "(see above)")
        added = done.template.code, done.template.text
    click.echo(f"{added[0]}: {'approved' if approved else 'pending'} "
               f"({', '.join(parameters(added[1])) or 'no parameters'})")


def _review(provider: str, code: str, approval: TemplateApproval) -> None:
    _app()
    with get_db().begin() as session:
        template = session.scalar(select(SmsTemplate).where(SmsTemplate.provider == provider,
                                                            SmsTemplate.code == code))
        if template is None:
            raise click.ClickException(f"no {provider} template {code}")
        template.approval = approval
    click.echo(f"{code}: {approval}")


@templates.command("approve")
@click.argument("code")
@click.option("--provider", type=PROVIDERS, default="alibaba", show_default=True)
def approve_cmd(code: str, provider: str) -> None:
    """The carrier approved CODE: the hotline may send it from now on."""
    _review(provider, code, TemplateApproval.APPROVED)


@templates.command("reject")
@click.argument("code")
@click.option("--provider", type=PROVIDERS, default="alibaba", show_default=True)
def reject_cmd(code: str, provider: str) -> None:
    """The carrier rejected CODE: it is never sent."""
    _review(provider, code, TemplateApproval.REJECTED)


@templates.command("draft")
@click.option("--provider", type=PROVIDERS, default="alibaba", show_default=True)
@click.option("--signature", required=True, help="The registered 签名, without 【】.")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False))
@click.option("--domain", "domains", multiple=True, help="A registered domain links may use.")
def draft_cmd(provider: str, signature: str, out_path: str, domains: tuple[str, ...]) -> None:
    """Write every text the hotline sends as a template draft (CSV) to submit to the carrier."""
    _app()
    bad_signature = check_signature(signature)
    if bad_signature:
        raise click.ClickException(f"{bad_signature[0].message} / {bad_signature[0].zh}")
    rows = draft_rows(provider, signature, domains, current_fixed())
    with open(out_path, "w", newline="", encoding="utf-8-sig") as out:
        write_drafts(out, rows)
    to_look_at = flagged(rows)
    click.echo(f"{len(rows)} draft(s) written to {out_path}; {len(to_look_at)} with a rule to "
               "look at")
    for row in to_look_at:
        click.echo(f"  {row['purpose']} ({row['language']}): {row['check']}", err=True)


@templates.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--provider", type=PROVIDERS, default="alibaba", show_default=True)
@click.option("--organisation", default=None, help="The templates are this office's only.")
@click.option("--approved", is_flag=True, help="Rows with a code and no review state are "
              "approved (the office filled in only the approved codes).")
def import_cmd(path: str, provider: str, organisation: str | None, approved: bool) -> None:
    """Read back a draft CSV with the carrier's codes (模板CODE) and review states: the good
    rows are recorded, each bad row is reported with its line (UTF-8 or GB18030 files)."""
    _app()
    try:
        text = decode_csv(Path(path).read_bytes())
    except UnreadableCsv as exc:
        raise click.ClickException(str(exc)) from exc
    with get_db().begin() as session:
        org_id = _organisation_id(session, organisation)
        try:
            report = import_reviews(session, text, provider, organisation_id=org_id,
                                    approved=approved)
        except BadResultsFile as exc:
            raise click.ClickException(str(exc)) from exc
    for line, code, finding in report.findings:
        click.echo(f"line {line} ({code}): {finding} / {finding.zh}", err=True)
    for problem in report.problems:
        click.echo(f"{problem}", err=True)
    click.echo(f"{report.added} added, {report.updated} updated, {report.skipped} skipped, "
               f"{len(report.problems)} rejected")
    if report.problems:
        raise click.ClickException(f"{len(report.problems)} row(s) not imported (see above); "
                                   "the other rows are")
