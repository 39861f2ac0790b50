"""The `hotline` command: demo, simulate, fake-twilio, db, sweep, volunteer."""

from __future__ import annotations

import os
import sys

import click
from flask import Flask


def make_app() -> Flask:
    """The app as configured by the environment."""
    from hotline import create_app

    return create_app()


@click.group()
def main() -> None:
    """SMS and voice hotline for migrant workers."""


@main.command()
@click.option("--port", default=5000, show_default=True, help="Port of the web app.")
@click.option("--provider", type=click.Choice(["fake", "console"]), default="fake",
              show_default=True, help="fake = real twilio client against the local fake server.")
def demo(port: int, provider: str) -> None:
    """Run the whole hotline locally: SQLite, embedded Redis, a worker, demo volunteers."""
    from hotline.demo import run_demo

    run_demo(port, provider)


@main.group()
def simulate() -> None:
    """Play a worker or volunteer against a running hotline."""


@simulate.command("sms")
@click.option("--from", "from_", required=True, help="Sender's phone number.")
@click.option("--url", default=None, help="Hotline base URL (default: the running demo's).")
@click.option("--wait", default=20.0, show_default=True, help="Seconds to wait for the offer.")
@click.argument("body")
def simulate_sms(from_: str, url: str | None, wait: float, body: str) -> None:
    """Send a signed inbound-SMS webhook and print the reply, then the volunteer's offer."""
    from hotline.simulate import (
        load_state,
        reply_texts,
        signed_sms_post,
        sms_params,
        wait_for_offer,
    )

    app = make_app()
    state = load_state(app.instance_path)
    base = (url or state.get("url") or app.config.get("PUBLIC_URL") or "http://127.0.0.1:5000")
    token = state.get("auth_token") or app.config["TWILIO_AUTH_TOKEN"]
    account = state.get("account_sid") or app.config["TWILIO_ACCOUNT_SID"]
    to = state.get("hotline_number") or app.config["HOTLINE_NUMBER"]
    params = sms_params(from_, to, body, account)
    resp = signed_sms_post(base.rstrip("/") + "/twilio/sms", token, params)
    if resp.status_code != 200:
        raise click.ClickException(f"hotline answered {resp.status_code}: {resp.text[:300]}")
    replies = reply_texts(resp.text)
    click.echo("reply: " + (" / ".join(replies) if replies else "(no reply)"))
    db_url = state.get("database_url") or app.config["DATABASE_URL"]
    for line in wait_for_offer(db_url, params["MessageSid"], wait):
        click.echo(line)


@main.command("fake-twilio")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8765, show_default=True)
def fake_twilio(host: str, port: int) -> None:
    """Run the local Twilio-shaped server (point TWILIO_API_URL at it)."""
    from notifications.fake_twilio import DEFAULT_ACCOUNT_SID, serve_forever

    serve_forever(host, port, os.environ.get("TWILIO_ACCOUNT_SID", DEFAULT_ACCOUNT_SID),
                  os.environ.get("TWILIO_AUTH_TOKEN", "demo-auth-token"))


@main.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply Alembic migrations up to REVISION (default: head)."""
    from hotline.migrate import upgrade

    app = make_app()
    upgrade(app.config["DATABASE_URL"], revision)
    click.echo(f"database at {revision}: {app.config['DATABASE_URL']}")


@main.command()
def sweep() -> None:
    """Run one sweep now: re-enqueue unrouted cases and unsent messages, expire offers."""
    from hotline.sweeper import sweep_now

    app = make_app()
    with app.app_context():
        click.echo(sweep_now())


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
def serve(host: str, port: int) -> None:
    """Serve the web app with Werkzeug (use gunicorn 'hotline:create_app()' in production)."""
    app = make_app()
    app.run(host=host, port=port, threaded=True)


@main.group()
def volunteer() -> None:
    """Manage volunteers."""


@volunteer.command("add")
@click.option("--name", required=True)
@click.option("--phone", required=True)
@click.option("--languages", default="zh", show_default=True, help="Comma-separated.")
@click.option("--skills", default="", help="Comma-separated case categories.")
@click.option("--regions", default="", help="Comma-separated provinces/cities served.")
@click.option("--capacity", default=3, show_default=True)
@click.option("--on-duty/--off-duty", default=True)
def volunteer_add(name: str, phone: str, languages: str, skills: str, regions: str,
                  capacity: int, on_duty: bool) -> None:
    """Add a volunteer (phone normalised to E.164)."""
    from hotline.db import get_db
    from hotline.phones import InvalidPhone, normalize_phone
    from models import Volunteer

    try:
        e164 = normalize_phone(phone)
    except InvalidPhone as exc:
        raise click.BadParameter(str(exc), param_hint="--phone") from exc

    def split(s: str) -> list[str]:
        return [p.strip() for p in s.split(",") if p.strip()]

    app = make_app()
    with app.app_context(), get_db().begin() as session:
        session.add(Volunteer(name=name, phone=e164, languages=split(languages),
                              skills=split(skills), regions=split(regions), capacity=capacity,
                              on_duty=on_duty))
    click.echo(f"added volunteer {name} {e164}")


if __name__ == "__main__":
    sys.exit(main())
