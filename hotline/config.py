"""Configuration, read only from environment variables (plus overrides passed by tests)."""

from __future__ import annotations

import hashlib
import ipaddress
import os
import tempfile
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
    # Campaigns (notifications.campaigns, notifications.campaign_tasks):
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
    # Calls (hotline.voice): when a caller may be put through to a volunteer live.
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


def load_config(instance_path: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the Flask config from the environment, then apply explicit overrides (tests)."""
    env = {k: os.environ.get(k, v) for k, v in ENV_DEFAULTS.items()}
    env = {k: (v if v != "" or k == "STAFF_NUMBERS" else ENV_DEFAULTS[k]) for k, v in env.items()}
    cfg: dict[str, Any] = dict(env)
    cfg.update(overrides or {})
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


def check_auth_token(cfg: dict[str, Any]) -> None:
    """Refuse to start without a real TWILIO_AUTH_TOKEN, except in tests and a local setup.

    DEMO_AUTH_TOKEN is printed in this repository, so anyone could sign webhooks with it. It
    is accepted only under TESTING, or when nothing reaches beyond this machine: PUBLIC_URL
    unset or a loopback address, and texts going to the console or a loopback fake Twilio
    (`hotline demo`, `hotline simulate`); the signature check then also wants a loopback
    caller (notifications.providers.twilio.signature)."""
    token = cfg.get("TWILIO_AUTH_TOKEN") or None
    if token not in (None, DEMO_AUTH_TOKEN) or cfg.get("TESTING"):
        cfg["TWILIO_AUTH_TOKEN"] = token or DEMO_AUTH_TOKEN
        return
    if cfg["HOTLINE_PROVIDER"] == "alibaba" and token is None:
        # An office on a domestic provider may have no Twilio account: Twilio's webhooks
        # then refuse every request rather than trust a public token.
        cfg["TWILIO_AUTH_TOKEN"] = None
        return
    public = cfg.get("PUBLIC_URL")
    local_provider = cfg["HOTLINE_PROVIDER"] == "console" or is_loopback_url(
        cfg.get("TWILIO_API_URL"))
    if (public and not is_loopback_url(public)) or not local_provider:
        where = f"PUBLIC_URL={public}" if public and not is_loopback_url(public) else \
            "HOTLINE_PROVIDER=twilio"
        raise ValueError(
            "TWILIO_AUTH_TOKEN is not set to a real Twilio auth token (" + where + "): "
            "without it anyone can forge webhooks. Set TWILIO_AUTH_TOKEN to the auth token "
            f"of your Twilio account; {DEMO_AUTH_TOKEN!r} is public and only for `hotline "
            "demo` on 127.0.0.1.")
    cfg["TWILIO_AUTH_TOKEN"] = DEMO_AUTH_TOKEN


def check_alibaba_push_secret(cfg: dict[str, Any]) -> None:
    """On Alibaba, refuse to start without a long ALIBABA_PUSH_SECRET (the push URLs' only
    authentication), except in tests and when nothing reaches beyond this machine."""
    if cfg["HOTLINE_PROVIDER"] != "alibaba" or cfg.get("TESTING"):
        return
    secret = cfg.get("ALIBABA_PUSH_SECRET") or ""
    public = cfg.get("PUBLIC_URL")
    local = is_loopback_url(cfg.get("ALIBABA_SMS_ENDPOINT")) and (
        not public or is_loopback_url(public))
    if len(secret) < 16 and not local:
        raise ValueError(
            "ALIBABA_PUSH_SECRET must be set to a random string of at least 16 characters "
            "with HOTLINE_PROVIDER=alibaba: it is the secret part of the delivery-report and "
            "reply URLs configured in the Alibaba SMS console; without it anyone could forge "
            "pushes.")


def web_session_cookies(cfg: dict[str, Any]) -> None:
    """Login cookies: never readable by scripts, not sent cross-site, HTTPS-only behind https
    (or when SESSION_COOKIE_SECURE says so: TLS ended by a proxy before a plain PUBLIC_URL)."""
    cfg.setdefault("SESSION_COOKIE_HTTPONLY", True)
    cfg.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    asked = cfg.get("SESSION_COOKIE_SECURE")
    cfg["SESSION_COOKIE_SECURE"] = (
        str(cfg.get("PUBLIC_URL") or "").lower().startswith("https://")
        or asked is True or str(asked or "").strip().lower() in ("1", "true", "yes", "on"))
    # The signed cookie is refused once unused this long (Flask checks its signing time, and
    # re-signs it on every request); SESSION_MAX_HOURS caps a login however busy it is.
    cfg["SESSION_IDLE_MINUTES"] = int(cfg["SESSION_IDLE_MINUTES"])
    cfg["SESSION_MAX_HOURS"] = float(cfg["SESSION_MAX_HOURS"])
    cfg.setdefault("PERMANENT_SESSION_LIFETIME", timedelta(minutes=cfg["SESSION_IDLE_MINUTES"]))
    cfg.setdefault("SESSION_REFRESH_EACH_REQUEST", True)
