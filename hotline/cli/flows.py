"""`hotline flows check` validates flow files; `hotline simulate call` plays a phone call."""

from __future__ import annotations

import logging
import secrets
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
import requests
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from hotline import create_app
from hotline.cli.app import make_app
from hotline.infra.db import get_db
from hotline.infra.migrate import upgrade
from ivr_flows.loader import FLOWS_DIR, FlowError, check_all, load_flow
from models import Case, Contact

SIM_PUBLIC_URL = "http://simulated.hotline"
# Not the README's SMS worker (+8613800138000), so a demo call opens its own case.
SIM_CALLER = "+8613700137000"


@click.group("flows")
def flows() -> None:
    """Intake flow files (ivr_flows/flows/*.yaml)."""


@flows.command("check")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
def flows_check(paths: tuple[Path, ...]) -> None:
    """Validate flow files (default: every shipped flow); print `file:node: problem`."""
    dirs = [p for p in paths if p.is_dir()] or ([] if paths else [FLOWS_DIR])
    files: list[Path] = []
    problems: list[str] = []
    for directory in dirs:
        found, bad = check_all(directory)
        files += found
        problems += bad
    for path in (p for p in paths if p.is_file()):
        found, bad = check_file(path)
        files += found
        problems += bad
    for line in problems:
        click.echo(line)
    if problems:
        raise SystemExit(1)
    click.echo(f"{len(files)} flow file(s) OK")


def check_file(path: Path) -> tuple[list[Path], list[str]]:
    """Validate one file: ([path], problems)."""
    try:
        load_flow(path)
    except FlowError as exc:
        return [path], exc.problems
    return [path], []


class CallPlayer:
    """Plays the hotline's TwiML as a caller would hear it, answering from a script or a person."""

    def __init__(self, post: Callable[[str, dict[str, str]], str],
                 answers: Iterator[str] | None, echo: Callable[[str], None],
                 new_recording: Callable[[], str] | None = None, caller: str = SIM_CALLER
                 ) -> None:
        self.post = post
        self.caller = caller
        self.new_recording = new_recording or made_up_recording
        self.answers = answers
        self.echo = echo
        self.sid = "CA" + secrets.token_hex(16)

    def form(self, **extra: str) -> dict[str, str]:
        """The fields Twilio sends with every voice webhook of this call."""
        return {"CallSid": self.sid, "From": self.caller, "To": "+8610000000000",
                "CallStatus": "in-progress", "Direction": "inbound", **extra}

    def ask(self, what: str) -> str | None:
        """The caller's next answer: from the script (None when it runs out) or the keyboard."""
        if self.answers is not None:
            answer = next(self.answers, None)
            self.echo(f"caller ({what}): {answer if answer else '(silence)'}"
                      if answer is not None else "caller: (hangs up)")
            return answer
        return str(click.prompt(f"caller ({what})", default="", show_default=False))

    def run(self) -> None:
        """Play the whole call, then send the status callback Twilio sends at hang-up."""
        xml: str | None = self.post("/twilio/voice", self.form(CallStatus="ringing"))
        while xml is not None:
            xml = self.play(ET.fromstring(xml))
        self.post("/twilio/voice/status", self.form(CallStatus="completed", CallDuration="95"))

    def play(self, root: ET.Element) -> str | None:
        """Play one TwiML document; return the next document, or None once the call ends."""
        for verb in root:
            if verb.tag == "Say":
                self.echo(f"hotline: {verb.text or ''}")
            elif verb.tag == "Hangup":
                self.echo("hotline: (hangs up)")
                return None
            elif verb.tag == "Redirect":
                return self.post(verb.text or "", self.form())
            elif verb.tag in ("Gather", "Record", "Dial"):
                answer = getattr(self, f"_{verb.tag.lower()}")(verb)
                if answer is False:
                    return None
                if answer is not None:
                    return self.post(verb.get("action", ""), self.form(**answer))
        return None

    def _gather(self, verb: ET.Element) -> dict[str, str] | bool | None:
        for say in verb.iter("Say"):
            self.echo(f"hotline: {say.text or ''}")
        answer = self.ask("keys or words")
        if answer is None:
            return False
        if not answer:
            return None
        return {"Digits": answer} if all(c in "0123456789*#" for c in answer) else {
            "SpeechResult": answer, "Confidence": "0.9"}

    def _record(self, verb: ET.Element) -> dict[str, str] | bool | None:
        answer = self.ask("speak after the beep")
        if answer is None:
            return False
        if not answer:
            return None
        url = self.new_recording()
        self.echo(f"(recorded: {answer!r} -> {url})")
        self.post(verb.get("recordingStatusCallback", ""),
                  self.form(RecordingUrl=url, RecordingStatus="completed",
                            RecordingDuration="12"))
        return {"RecordingUrl": url, "RecordingDuration": "12"}

    def _dial(self, verb: ET.Element) -> dict[str, str] | bool | None:
        number = verb.findtext("Number") or ""
        self.echo(f"hotline: (rings volunteer {number}, caller id {verb.get('callerId')})")
        answer = self.ask("does the volunteer answer? y/n")
        if answer is None:
            return False
        picked = answer.strip().lower() in ("y", "yes", "1")
        return {"DialCallStatus": "completed" if picked else "no-answer",
                "DialCallDuration": "60" if picked else "0"}


def local_poster(auth_token: str, client: Any) -> Callable[[str, dict[str, str]], str]:
    """POST signed webhooks to an app in this process (its test client)."""
    validator = RequestValidator(auth_token)

    def post(path: str, form: dict[str, str]) -> str:
        sig = validator.compute_signature(SIM_PUBLIC_URL + path, form)
        resp = client.post(path, data=form, headers={"X-Twilio-Signature": sig})
        if resp.status_code >= 400:
            raise click.ClickException(f"{path} answered {resp.status_code}: {resp.data[:300]!r}")
        return str(resp.get_data(as_text=True))

    return post


def http_poster(base: str, auth_token: str) -> Callable[[str, dict[str, str]], str]:
    """POST signed webhooks to a running hotline over HTTP."""
    # A developer tool, loaded by the command that runs it: devtools stays out of production.
    from devtools.simulate import signed_sms_post

    def post(path: str, form: dict[str, str]) -> str:
        # TwiML's URLs carry the hotline's path prefix already (Twilio resolves them against
        # the host); the simulator's own first requests name paths inside the app.
        prefix = urlsplit(base).path.rstrip("/")
        path = path[len(prefix):] if prefix and path.startswith(prefix + "/") else path
        resp = signed_sms_post(base.rstrip("/") + path, auth_token, form)
        if resp.status_code >= 400:
            raise click.ClickException(f"{path} answered {resp.status_code}: {resp.text[:300]}")
        return resp.text

    return post


@click.command("call")
@click.option("--keys", default=None,
              help="Comma-separated answers (digits, words, empty = silence, y/n for a transfer);"
                   " without it you answer at the prompt.")
@click.option("--url", default=None,
              help="A running hotline's base URL (default: the running demo's, if any).")
@click.option("--from", "caller", default=SIM_CALLER, show_default=True,
              help="The caller's number.")
@click.option("--local", is_flag=True,
              help="Play against a throwaway in-process hotline even if a demo is running.")
def simulate_call(keys: str | None, url: str | None, caller: str, local: bool) -> None:
    """Play the phone intake: prints what the hotline would say and sends your keys."""
    answers = iter(keys.split(",")) if keys is not None else None
    if not local:
        # A developer tool, loaded by the command that runs it: devtools stays out of production.
        from devtools.simulate import load_state

        app = make_app()
        state = load_state(app.instance_path)
        url = url or running_demo_url(state)
        if url:
            fake = state.get("fake_twilio_url")
            token = state.get("auth_token") or app.config["TWILIO_AUTH_TOKEN"]
            click.echo(f"(calling the hotline at {url} from {caller})")
            player = CallPlayer(http_poster(url, token), answers, click.echo,
                                fake_twilio_recording(fake) if fake else None, caller=caller)
            player.run()
            # A developer tool (this command runs it): devtools stays out of production.
            from devtools.simulate import call_outcome

            demo_db = state.get("database_url") if url == state.get("url") else None
            for line in call_outcome(demo_db or app.config["DATABASE_URL"], player.sid,
                                     timeout=20):
                click.echo(line)
            return
        click.echo("(no demo running: playing against a throwaway in-process hotline)")
    with tempfile.TemporaryDirectory() as tmp:
        app = simulation_app(Path(tmp))
        with app.app_context():
            CallPlayer(local_poster(app.config["TWILIO_AUTH_TOKEN"], app.test_client()),
                       answers, click.echo, caller=caller).run()
            click.echo(describe_case(caller))
        app.extensions["db"].engine.dispose()


def running_demo_url(state: dict[str, Any]) -> str | None:
    """The demo's URL when its state file names one that answers (a killed demo leaves one)."""
    url = state.get("url")
    if not url:
        return None
    try:
        requests.get(f"{url}/login", timeout=2)
    except requests.RequestException:
        return None
    return str(url)


def made_up_recording() -> str:
    """A RecordingUrl that no server holds (the console provider keeps no audio)."""
    return f"https://api.twilio.com/2010-04-01/Recordings/RE{secrets.token_hex(16)}"


def fake_twilio_recording(base: str) -> Callable[[], str]:
    """Ask the demo's fake Twilio server to hold a recording, so staff can play it."""
    def new() -> str:
        resp = requests.post(f"{base}/_fake/recording", json={"seconds": 2}, timeout=10)
        resp.raise_for_status()
        return str(resp.json()["url"])
    return new


def simulation_app(tmp: Path) -> Any:
    """A hotline on a throwaway SQLite database (no Redis: routing is left to the sweeper)."""
    url = f"sqlite:///{tmp / 'simulate.db'}"
    upgrade(url)
    # Redis is not running here; enqueue() logs and the case stays for the sweeper.
    logging.getLogger("hotline.infra.queues").setLevel(logging.ERROR)
    return create_app({"DATABASE_URL": url, "REDIS_URL": "redis://127.0.0.1:1/0",
                       "PUBLIC_URL": SIM_PUBLIC_URL, "HOTLINE_PROVIDER": "console",
                       "TWILIO_AUTH_TOKEN": "simulate-token"}, instance_path=str(tmp))


def describe_case(phone: str) -> str:
    """One line about the caller's case, as the simulation left it."""
    with get_db().begin() as session:
        case = session.scalar(select(Case).join(Contact).where(Contact.phone == phone)
                              .order_by(Case.id.desc()).limit(1))
        if case is None:
            return "no case was opened"
        people = f"~{case.people_affected}" if case.people_approximate else case.people_affected
        details = " ".join(f"{k}={v}" for k, v in sorted((case.details or {}).items()))
        return (f"case {case.number}: {case.category} {case.urgency} "
                f"{case.work_province or ''}{case.work_city or ''} employer={case.employer} "
                f"amount={case.amount_owed} months={case.months_unpaid} "
                f"people={people} status={case.status} "
                f"voicemail={case.voicemail_url} dialect={case.dialect}"
                + (f" {details}" if details else ""))
