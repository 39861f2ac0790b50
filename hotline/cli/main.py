"""The `hotline` command: demo, simulate, fake-twilio, db, sweep, volunteer."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from hotline.cli.app import make_app
from hotline.cli.campaigns import campaign  # bulk SMS
from hotline.cli.flows import flows, simulate_call  # intake flows
from hotline.cli.privacy import privacy  # access, erasure, retention
from hotline.cli.templates import templates  # carrier templates
from hotline.cli.users import users  # web accounts
from hotline.cli.volunteers import volunteer  # volunteers, offices, cases handed over
from hotline.infra.config import CLI, DB, LOCAL, WEB, StartupRefused, set_role
from hotline.infra.migrate import masked_url, upgrade
from hotline.phones import InvalidPhone, normalize_phone
from hotline.sweeper import sweep_now


class HotlineGroup(click.Group):
    """The `hotline` group: a command refused for missing settings prints what to set and
    exits 2, with no traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; turn a StartupRefused into its message."""
        try:
            return super().invoke(ctx)
        except StartupRefused as refused:
            click.echo(str(refused), err=True)
            ctx.exit(2)


@click.group(cls=HotlineGroup)
def main() -> None:
    """SMS and voice hotline for migrant workers."""
    # Commands write rows and enqueue tasks: they need the shared database and Redis
    # (hotline.infra.config); the demo, the simulators and `db upgrade` say otherwise below.
    set_role(CLI)


@main.command()
@click.option("--port", default=5000, show_default=True, help="Port of the web app.")
@click.option("--provider", type=click.Choice(["fake", "console"]), default="fake",
              show_default=True, help="fake = real twilio client against the local fake server.")
def demo(port: int, provider: str) -> None:
    """Run the whole hotline locally: SQLite, embedded Redis, a worker, demo volunteers."""
    from devtools.demo import run_demo  # one machine by nature: run_demo says so

    run_demo(port, provider)


@main.group()
def simulate() -> None:
    """Play a worker or volunteer against a running hotline."""
    set_role(LOCAL)  # talks to the running demo (or --url); reads its state file


@simulate.command("sms")
@click.option("--from", "from_", required=True, help="Sender's phone number.")
@click.option("--url", default=None, help="Hotline base URL (default: the running demo's).")
@click.option("--wait", default=20.0, show_default=True, help="Seconds to wait for the offer.")
@click.argument("bodies", nargs=-1, required=True)
def simulate_sms(from_: str, url: str | None, wait: float, bodies: tuple[str, ...]) -> None:
    """Text BODIES in turn as signed webhooks, print each reply, then the volunteer's offer."""
    # A developer tool, loaded by the command that runs it: devtools stays out of production.
    from devtools.simulate import (
        load_state,
        reply_texts,
        signed_sms_post,
        sms_params,
        wait_for_answer,
        wait_for_offer,
    )

    try:
        from_ = normalize_phone(from_)
    except InvalidPhone as exc:  # Twilio never sends such a From; say so instead of "(no reply)"
        raise click.BadParameter(str(exc), param_hint="--from") from exc
    app = make_app()
    state = load_state(app.instance_path)
    base = (url or state.get("url") or app.config.get("PUBLIC_URL") or "http://127.0.0.1:5000")
    token = state.get("auth_token") or app.config["TWILIO_AUTH_TOKEN"]
    account = state.get("account_sid") or app.config["TWILIO_ACCOUNT_SID"]
    to = state.get("hotline_number") or app.config["HOTLINE_NUMBER"]
    db_url = state.get("database_url") or app.config["DATABASE_URL"]
    for body in bodies:
        params = sms_params(from_, to, body, account)
        resp = signed_sms_post(base.rstrip("/") + "/twilio/sms", token, params)
        if resp.status_code != 200:
            raise click.ClickException(f"hotline answered {resp.status_code}: {resp.text[:300]}")
        # Answered in the response only when read there (Redis down, SMS_READ_IN_WEBHOOK);
        # else a worker reads the text and texts the answer back.
        replies = reply_texts(resp.text) or wait_for_answer(db_url, params["MessageSid"], wait)
        click.echo(f"{from_}> {body}")
        click.echo("hotline> " + (" / ".join(replies) if replies else
                                  "(no reply)" if replies is not None else
                                  "(not read yet — is the worker running?)"))
    for line in wait_for_offer(db_url, params["MessageSid"], wait):
        click.echo(line)


@main.command("fake-twilio")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8765, show_default=True)
def fake_twilio(host: str, port: int) -> None:
    """Run the local Twilio-shaped server (point TWILIO_API_URL at it)."""
    # A developer tool, loaded by the command that runs it: devtools stays out of production.
    from devtools.fake_twilio import DEFAULT_ACCOUNT_SID, serve_forever

    serve_forever(host, port, os.environ.get("TWILIO_ACCOUNT_SID", DEFAULT_ACCOUNT_SID),
                  os.environ.get("TWILIO_AUTH_TOKEN", "demo-auth-token"))


@main.command("fake-alibaba")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8766, show_default=True)
@click.option("--push-url", default=None, help="Base the reports (+/report) and replies (+/up) "
              "are pushed to.")
@click.option("--templates", default=None, help='JSON file: [{"code", "text", "kind"}, ...].')
def fake_alibaba(host: str, port: int, push_url: str | None, templates: str | None) -> None:
    """Run the local Alibaba-Cloud-SMS-shaped server (the SDK's endpoint host:port)."""
    # A developer tool, loaded by the command that runs it: devtools stays out of production.
    from devtools.fake_alibaba.server import serve_forever

    serve_forever(host, port, push_url, templates,
                  os.environ.get("ALIBABA_ACCESS_KEY_ID", "LTAItestkey0000"),
                  os.environ.get("ALIBABA_ACCESS_KEY_SECRET", "test-secret"))


@main.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply Alembic migrations up to REVISION (default: head)."""
    set_role(DB)  # the schema needs the database only
    app = make_app()
    upgrade(app.config["DATABASE_URL"], revision)
    click.echo(f"database at {revision}: {masked_url(app.config['DATABASE_URL'])}")


@main.command()
def sweep() -> None:
    """Run one sweep now: re-enqueue unrouted cases and unsent messages, expire offers."""
    app = make_app()
    with app.app_context():
        click.echo(sweep_now())


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
def serve(host: str, port: int) -> None:
    """Serve the web app with Werkzeug (use gunicorn 'hotline:create_app()' in production)."""
    set_role(WEB)  # as the WSGI app: shared URLs, SECRET_KEY, a real auth token
    app = make_app(broker=True)
    app.run(host=host, port=port, threaded=True)


for command in (volunteer, users, campaign, flows, privacy, templates):
    main.add_command(command)
simulate.add_command(simulate_call)


if __name__ == "__main__":
    sys.exit(main())
