"""Configuration, read only from environment variables (plus overrides passed by tests)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

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
    "HOTLINE_PROVIDER": "console",  # twilio | console
    "STAFF_NUMBERS": "",  # comma-separated E.164 numbers alerted when a case escalates
    "OFFER_TIMEOUT_MINUTES": "10",
    "SWEEP_GRACE_SECONDS": "30",
}


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
    if cfg["HOTLINE_PROVIDER"] not in ("twilio", "console"):
        raise ValueError(f"HOTLINE_PROVIDER must be 'twilio' or 'console', "
                         f"not {cfg['HOTLINE_PROVIDER']!r}")
    if not cfg.get("TWILIO_AUTH_TOKEN"):
        # Without a token no webhook can be verified; refuse to run in production mode.
        if cfg["HOTLINE_PROVIDER"] == "twilio" and not cfg.get("TWILIO_API_URL"):
            raise ValueError("TWILIO_AUTH_TOKEN is required with HOTLINE_PROVIDER=twilio")
        cfg["TWILIO_AUTH_TOKEN"] = "demo-auth-token"
    cfg["OFFER_TIMEOUT_MINUTES"] = int(cfg["OFFER_TIMEOUT_MINUTES"])
    cfg["SWEEP_GRACE_SECONDS"] = int(cfg["SWEEP_GRACE_SECONDS"])
    cfg["STAFF_NUMBERS"] = [n.strip() for n in str(cfg["STAFF_NUMBERS"]).split(",") if n.strip()]
    return cfg
