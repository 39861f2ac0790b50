"""Configuration, read only from environment variables (plus overrides passed by tests)."""

from __future__ import annotations

import hashlib
import ipaddress
import os
import tempfile
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ivr_flows.model import OfficeHours
from notifications.providers import PROVIDERS

# The token `hotline demo` signs with: public (it is in this file), so never a real one.
DEMO_AUTH_TOKEN = "demo-auth-token"
# Each variable the hotline reads, with its default; the README documents the same list.
ENV_DEFAULTS: dict[str, str | None] = {
    "DATABASE_URL": None,  # default: SQLite file hotline.db in the instance folder
    "REDIS_URL": None,  # default: embedded Redis on a unix socket in the instance folder
    "SECRET_KEY": None,  # default: random per process (sessions do not survive restarts)
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_AUTH_TOKEN": None,
    "TWILIO_API_URL": None,  # e.g. http://127.0.0.1:8765 for `hotline fake-twilio`
    "HOTLINE_NUMBER": "+8610000000000",
    "PUBLIC_URL": None,  # e.g. https://hotline.example.org; Twilio signs this URL
    "HOTLINE_PROVIDER": "console",  # a name in notifications.providers.PROVIDERS
    # 1: Twilio's SMS webhook reads each text and answers in its response (TwiML); default:
    # it stores the text and a worker reads it and texts the answer (hotline.arrivals).
    "SMS_READ_IN_WEBHOOK": "",
    "ALIBABA_ACCESS_KEY_ID": None,  # Alibaba Cloud SMS (dysmsapi) access key
    "ALIBABA_ACCESS_KEY_SECRET": None,
    "ALIBABA_SMS_ENDPOINT": "dysmsapi.aliyuncs.com",  # http://127.0.0.1:PORT for the fake
    "ALIBABA_PUSH_SECRET": None,  # path secret of /alibaba/<secret>/report and /up
    "STAFF_NUMBERS": "",  # comma-separated E.164 numbers alerted when a case escalates
    "OFFER_TIMEOUT_MINUTES": "10",
    "SWEEP_GRACE_SECONDS": "30",
    "MESSAGE_RECONCILE_AFTER_SECONDS": "300",  # an UNKNOWN send with no callback: ask the provider
    "OUTCOME_REFRESH_SECONDS": "21600",  # a send still only ACCEPTED this long: ask the provider
    # Routing (hotline.routing, hotline.deadlines, hotline.collective):
    "OFFER_MAX_TRIES": "3",  # offer rounds before a case escalates to staff
    "URGENT_FANOUT": "3",  # volunteers offered an urgent case at once (first accept wins)
    "STALE_CASE_DAYS": "7",  # no update this long: remind the volunteer
    "STALE_ESCALATE_DAYS": "3",  # still no update this long after the reminder: escalate
    "MONTHLY_CONTACT_DAYS": "30",  # every open case's worker is contacted at least this often
    "COLLECTIVE_MIN_WORKERS": "3",  # workers naming one employer to make a collective case
    "COLLECTIVE_WINDOW_DAYS": "14",  # ...within this many days
    "EMPLOYER_MATCH_SCORE": "80",  # rapidfuzz ratio (0-100) for two names to be one employer
    "DEFAULT_ORGANISATION": "",  # name of the queue for cases whose work place no region names
    "RECENT_CLOSED_DAYS": "30",  # a worker's text this soon after their case ended lands on it
    # Campaigns (notifications.campaigns.compose, notifications.campaigns.tasks):
    "CAMPAIGN_RATE_PER_SECOND": "10",  # segments/s per sender (long code ~1, short code 100+)
    "CAMPAIGN_BURST_SECONDS": "1",  # bucket capacity, in seconds of rate
    "CAMPAIGN_CHUNK_SIZE": "200",  # recipients claimed per task
    "CAMPAIGN_PARALLELISM": "2",  # chunk tasks in flight per campaign
    "CAMPAIGN_SEND_THREADS": "4",  # concurrent provider calls inside one chunk
    "CAMPAIGN_PRICE_PER_SEGMENT": "0.05",  # for the cost estimate and report
    "CAMPAIGN_TIMEZONE": "Asia/Shanghai",  # for contacts without their own
    "CAMPAIGN_QUIET_HOURS": "21:00-08:00",  # recipients' local time; sends wait until the end
    "CAMPAIGN_RECONCILE_AFTER_SECONDS": "120",  # a send stuck in SENDING this long is checked
    "CAMPAIGN_STALL_SECONDS": "60",  # no progress this long: the tick restarts chunk tasks
    "CAMPAIGN_SIGNATURE": "",  # default 【签名】 for new campaigns
    # Privacy (hotline.privacy):
    "RETENTION_MONTHS": "24",  # a finished case is anonymised this long after it closed
    "RECORDING_RETENTION_DAYS": "90",  # call recordings are deleted (at the provider too)
    # Calls (hotline.webhooks.twilio_voice): when a caller may be put through to a volunteer live.
    "OFFICE_HOURS": "",  # e.g. "mon-sat 09:00-21:00" or "always"; default: the call flow's
    # Web console (hotline.web):
    "HOTLINE_TIMEZONE": "Asia/Shanghai",  # days and months of the dashboard and reports
    "SESSION_IDLE_MINUTES": "120",  # a login unused this long must log in again
    "SESSION_MAX_HOURS": "12",  # ...and after this long in any case
    "SESSION_COOKIE_SECURE": "",  # 1: cookies only over HTTPS (always on when PUBLIC_URL is https)
}
CAMPAIGN_INTS = ("CAMPAIGN_CHUNK_SIZE", "CAMPAIGN_PARALLELISM", "CAMPAIGN_SEND_THREADS")
CAMPAIGN_FLOATS = ("CAMPAIGN_RATE_PER_SECOND", "CAMPAIGN_BURST_SECONDS",
                   "CAMPAIGN_RECONCILE_AFTER_SECONDS", "CAMPAIGN_STALL_SECONDS")
ROUTING_INTS = ("OFFER_MAX_TRIES", "URGENT_FANOUT", "STALE_CASE_DAYS", "STALE_ESCALATE_DAYS",
                "MONTHLY_CONTACT_DAYS", "COLLECTIVE_MIN_WORKERS", "COLLECTIVE_WINDOW_DAYS",
                "EMPLOYER_MATCH_SCORE", "RECENT_CLOSED_DAYS")


def embedded_redis_socket(instance_path: str) -> str:
    """Path of the unix socket the embedded Redis listens on (short enough for AF_UNIX)."""
    path = Path(instance_path) / "redis.sock"
    if len(str(path)) > 100:  # sun_path is limited to ~107 bytes
        digest = hashlib.sha1(str(path).encode()).hexdigest()[:12]
        path = Path(tempfile.gettempdir()) / f"hotline-{digest}.sock"
    return str(path)


def read_settings(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The settings as given: the environment (an empty value counts as unset), then explicit
    overrides; nothing filled in yet."""
    env = {k: os.environ.get(k, v) for k, v in ENV_DEFAULTS.items()}
    env = {k: (v if v != "" or k == "STAFF_NUMBERS" else ENV_DEFAULTS[k]) for k, v in env.items()}
    cfg: dict[str, Any] = dict(env)
    cfg.update(overrides or {})
    return cfg


def default_instance_path() -> str:
    """The instance folder: HOTLINE_INSTANCE, else `instance/` in the working directory (where
    the operator runs the hotline, not inside the installed package)."""
    return os.path.abspath(os.environ.get("HOTLINE_INSTANCE") or "instance")


def load_config(instance_path: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the Flask config from the environment, then apply explicit overrides (tests)."""
    cfg = read_settings(overrides)
    if not cfg.get("DATABASE_URL"):
        cfg["DATABASE_URL"] = f"sqlite:///{Path(instance_path) / 'hotline.db'}"
    if not cfg.get("REDIS_URL"):
        cfg["REDIS_URL"] = f"redis+socket://{embedded_redis_socket(instance_path)}"
        cfg["REDIS_EMBEDDED"] = True
    if not cfg.get("SECRET_KEY"):
        cfg["SECRET_KEY"] = os.urandom(32).hex()
    if cfg["HOTLINE_PROVIDER"] not in PROVIDERS:
        raise ValueError(f"HOTLINE_PROVIDER must be one of {', '.join(map(repr, PROVIDERS))}, "
                         f"not {cfg['HOTLINE_PROVIDER']!r}")
    check_auth_token(cfg)
    check_alibaba_push_secret(cfg)
    cfg["OFFER_TIMEOUT_MINUTES"] = int(cfg["OFFER_TIMEOUT_MINUTES"])
    cfg["SMS_READ_IN_WEBHOOK"] = is_yes(cfg["SMS_READ_IN_WEBHOOK"])
    cfg["SWEEP_GRACE_SECONDS"] = int(cfg["SWEEP_GRACE_SECONDS"])
    cfg["MESSAGE_RECONCILE_AFTER_SECONDS"] = float(cfg["MESSAGE_RECONCILE_AFTER_SECONDS"])
    cfg["OUTCOME_REFRESH_SECONDS"] = float(cfg["OUTCOME_REFRESH_SECONDS"])
    for key in ROUTING_INTS:
        cfg[key] = int(cfg[key])
    for key in CAMPAIGN_INTS:
        cfg[key] = int(cfg[key])
    for key in CAMPAIGN_FLOATS:
        cfg[key] = float(cfg[key])
    cfg["OFFICE_HOURS"] = OfficeHours.parse(
        cfg["OFFICE_HOURS"], cfg["HOTLINE_TIMEZONE"]) if cfg.get("OFFICE_HOURS") else None
    cfg["STAFF_NUMBERS"] = [n.strip() for n in str(cfg["STAFF_NUMBERS"]).split(",") if n.strip()]
    web_session_cookies(cfg)
    return cfg


def is_loopback_url(url: str | None) -> bool:
    """True for http(s)://127.x.x.x, localhost or [::1] (the demo's own address)."""
    return is_loopback_host(urlsplit(url or "").hostname or "")


def is_loopback_host(host: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1 (never for a name that merely starts so)."""
    host = host.lower().strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name such as 127.0.0.1.evil.example
        return False


def auth_token_problem(cfg: dict[str, Any]) -> str | None:
    """Why this TWILIO_AUTH_TOKEN may not be used (None: it may).

    DEMO_AUTH_TOKEN is printed in this repository, so anyone could sign webhooks with it. It
    is accepted only under TESTING, or when nothing reaches beyond this machine: PUBLIC_URL
    unset or a loopback address, and texts going to the console or a loopback fake Twilio
    (`hotline demo`, `hotline simulate`); the signature check then also wants a loopback
    caller (notifications.providers.twilio.signature). An office on Alibaba may have no
    Twilio account at all: Twilio's webhooks then refuse every request."""
    token = cfg.get("TWILIO_AUTH_TOKEN") or None
    if token not in (None, DEMO_AUTH_TOKEN) or cfg.get("TESTING"):
        return None
    if cfg.get("HOTLINE_PROVIDER") == "alibaba" and token is None:
        return None
    public = cfg.get("PUBLIC_URL")
    local_provider = cfg.get("HOTLINE_PROVIDER") == "console" or is_loopback_url(
        cfg.get("TWILIO_API_URL"))
    if (public and not is_loopback_url(public)) or not local_provider:
        where = f"PUBLIC_URL={public}" if public and not is_loopback_url(public) else \
            "HOTLINE_PROVIDER=twilio"
        return ("TWILIO_AUTH_TOKEN is not set to a real Twilio auth token (" + where + "): "
                "without it anyone can forge webhooks. Set TWILIO_AUTH_TOKEN to the auth token "
                f"of your Twilio account; {DEMO_AUTH_TOKEN!r} is public and only for `hotline "
                "demo` on 127.0.0.1.")
    return None


def check_auth_token(cfg: dict[str, Any]) -> None:
    """Refuse to start without a real TWILIO_AUTH_TOKEN, except in tests and a local setup
    (see auth_token_problem); fill in the demo token where it is allowed."""
    problem = auth_token_problem(cfg)
    if problem:
        raise ValueError(problem)
    token = cfg.get("TWILIO_AUTH_TOKEN") or None
    if token is None and not (cfg["HOTLINE_PROVIDER"] == "alibaba" and not cfg.get("TESTING")):
        token = DEMO_AUTH_TOKEN
    cfg["TWILIO_AUTH_TOKEN"] = token


def push_secret_problem(cfg: dict[str, Any]) -> str | None:
    """On Alibaba, why ALIBABA_PUSH_SECRET (the push URLs' only authentication) may not be
    used (None: it may, or tests, or nothing reaches beyond this machine)."""
    if cfg.get("HOTLINE_PROVIDER") != "alibaba" or cfg.get("TESTING"):
        return None
    secret = cfg.get("ALIBABA_PUSH_SECRET") or ""
    public = cfg.get("PUBLIC_URL")
    local = is_loopback_url(cfg.get("ALIBABA_SMS_ENDPOINT")) and (
        not public or is_loopback_url(public))
    if len(secret) < 16 and not local:
        return ("ALIBABA_PUSH_SECRET must be set to a random string of at least 16 characters "
                "with HOTLINE_PROVIDER=alibaba: it is the secret part of the delivery-report "
                "and reply URLs configured in the Alibaba SMS console; without it anyone could "
                "forge pushes.")
    return None


def check_alibaba_push_secret(cfg: dict[str, Any]) -> None:
    """On Alibaba, refuse to start without a long ALIBABA_PUSH_SECRET (see
    push_secret_problem)."""
    problem = push_secret_problem(cfg)
    if problem:
        raise ValueError(problem)


def is_yes(value: object) -> bool:
    """A setting switched on: True, or "1", "true", "yes", "on" in any case."""
    return value is True or str(value or "").strip().lower() in ("1", "true", "yes", "on")


def web_session_cookies(cfg: dict[str, Any]) -> None:
    """Login cookies: never readable by scripts, not sent cross-site, HTTPS-only behind https
    (or when SESSION_COOKIE_SECURE says so: TLS ended by a proxy before a plain PUBLIC_URL)."""
    cfg.setdefault("SESSION_COOKIE_HTTPONLY", True)
    cfg.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    asked = cfg.get("SESSION_COOKIE_SECURE")
    cfg["SESSION_COOKIE_SECURE"] = (
        str(cfg.get("PUBLIC_URL") or "").lower().startswith("https://")
        or is_yes(asked))
    # The signed cookie is refused once unused this long (Flask checks its signing time, and
    # re-signs it on every request); SESSION_MAX_HOURS caps a login however busy it is.
    cfg["SESSION_IDLE_MINUTES"] = int(cfg["SESSION_IDLE_MINUTES"])
    cfg["SESSION_MAX_HOURS"] = float(cfg["SESSION_MAX_HOURS"])
    cfg.setdefault("PERMANENT_SESSION_LIFETIME", timedelta(minutes=cfg["SESSION_IDLE_MINUTES"]))
    cfg.setdefault("SESSION_REFRESH_EACH_REQUEST", True)


# --- refusing to start without what every host shares -----------------------------------------
#
# One place decides what each kind of process needs before it starts: the web app (gunicorn
# 'hotline:create_app()', `hotline serve`), a Celery worker or beat (worker.py), and the CLI.
# Alone, a process missing DATABASE_URL would create an empty SQLite file of its own, one
# missing REDIS_URL would start a Redis nobody else sees: on many hosts that loses work
# silently. `hotline demo` and `hotline simulate` run on one machine by nature; tests pass
# their configuration in code; HOTLINE_SINGLE_MACHINE=1 says a process runs alone on purpose
# (the SQLite file and embedded Redis in the instance folder).

SINGLE_MACHINE = "HOTLINE_SINGLE_MACHINE"
WEB, WORKER, BEAT, CLI, DB, CELERY, LOCAL = ("web", "worker", "beat", "cli", "db", "celery",
                                             "local")
# What each process needs. CELERY: worker.py's app, checked when Celery says whether it
# starts a worker or beat; LOCAL: the demo and the simulators, nothing.
NEEDS: dict[str, frozenset[str]] = {
    WEB: frozenset({"DATABASE_URL", "REDIS_URL", "PUBLIC_URL", "SECRET_KEY", "TWILIO_AUTH_TOKEN",
                    "ALIBABA_PUSH_SECRET"}),
    WORKER: frozenset({"DATABASE_URL", "REDIS_URL", "PUBLIC_URL"}),
    BEAT: frozenset({"DATABASE_URL", "REDIS_URL", "PUBLIC_URL"}),
    CLI: frozenset({"DATABASE_URL", "REDIS_URL"}),  # commands write rows and enqueue tasks
    DB: frozenset({"DATABASE_URL"}),  # `hotline db upgrade`
    CELERY: frozenset(),
    LOCAL: frozenset(),
}
LABELS = {WEB: "the web app", WORKER: "celery worker", BEAT: "celery beat", CLI: "hotline",
          DB: "hotline db upgrade", CELERY: "celery", LOCAL: "hotline"}
_role = WEB  # what this process is; entry points other than the WSGI app say so


class StartupRefused(RuntimeError):
    """A process is missing settings every host must share; the text names each one."""

    def __init__(self, role: str, problems: list[str]) -> None:
        self.role, self.problems = role, problems
        super().__init__(refusal_text(role, problems))


def set_role(role: str) -> None:
    """Say what this process is (before it builds the app): web, worker, beat, cli, db,
    celery or local. The WSGI app is the default."""
    global _role
    if role not in NEEDS:
        raise ValueError(f"unknown process role {role!r}")
    _role = role


def current_role() -> str:
    """What this process said it is (web unless an entry point said otherwise)."""
    return _role


def is_single_machine(environ: Mapping[str, str] | None = None) -> bool:
    """True when the operator said this process runs on one machine with embedded parts."""
    value = (os.environ if environ is None else environ).get(SINGLE_MACHINE, "")
    return value.strip().lower() in ("1", "true", "yes", "on")


def needs_public_url(cfg: Mapping[str, Any]) -> bool:
    """Real Twilio without a public PUBLIC_URL: its delivery reports could never arrive."""
    real_twilio = cfg.get("HOTLINE_PROVIDER") == "twilio" and not is_loopback_url(
        cfg.get("TWILIO_API_URL"))
    public = cfg.get("PUBLIC_URL")
    return real_twilio and (not public or is_loopback_url(public))


def missing_settings(settings: Mapping[str, Any], role: str,
                     environ: Mapping[str, str] | None = None) -> list[str]:
    """What a process of `role` lacks, one sentence each starting with the setting's name
    (empty: nothing). `settings` are as given (read_settings): nothing filled in."""
    needs = NEEDS[role]
    single = is_single_machine(environ)
    missing = []
    if "DATABASE_URL" in needs and not settings.get("DATABASE_URL") and not single:
        missing.append("DATABASE_URL is not set: every host must use the one shared "
                       "PostgreSQL (e.g. postgresql://hotline@db-host/hotline); without it "
                       "this process would create an empty SQLite file of its own.")
    if "REDIS_URL" in needs and not settings.get("REDIS_URL") and not single:
        missing.append("REDIS_URL is not set: every host must use the one shared Redis "
                       "(e.g. redis://redis-host:6379/0); without it this process would start "
                       "a Redis of its own that no other host sees.")
    if "PUBLIC_URL" in needs and needs_public_url(settings):
        missing.append("PUBLIC_URL is not set to this hotline's public address (e.g. "
                       "https://hotline.example.org): Twilio would get no status-callback "
                       "URL, and every text would stay 'accepted' instead of delivered.")
    if "SECRET_KEY" in needs and not settings.get("SECRET_KEY"):
        missing.append("SECRET_KEY is not set: web logins are signed with it, so every web "
                       "process and host must share one long random value (e.g. the output "
                       "of `python3 -c 'import secrets; print(secrets.token_hex(32))'`); "
                       "without it each process would make up its own and logins would "
                       "fail on every other one.")
    if "TWILIO_AUTH_TOKEN" in needs and (problem := auth_token_problem(dict(settings))):
        missing.append(problem)
    if "ALIBABA_PUSH_SECRET" in needs and (problem := push_secret_problem(dict(settings))):
        missing.append(problem)
    return missing


def refusal_text(role: str, problems: list[str]) -> str:
    """The message a refused process prints: every missing setting, then the ways out."""
    return (f"{LABELS.get(role, role)} refuses to start:\n"
            + "\n".join(f"  - {p}" for p in problems)
            + "\nSet them as on every other host. For a trial on one machine, run `hotline "
            f"demo`, or set {SINGLE_MACHINE}=1 to use the embedded Redis and the SQLite file "
            "in the instance folder.")


def check_startup(settings: Mapping[str, Any], role: str | None = None,
                  environ: Mapping[str, str] | None = None) -> None:
    """Raise StartupRefused when a process of `role` (default: this process's) lacks a
    setting it needs; tests (TESTING) never do."""
    role = role or _role
    if settings.get("TESTING"):
        return
    problems = missing_settings(settings, role, environ)
    if problems:
        raise StartupRefused(role, problems)
