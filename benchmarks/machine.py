"""What the numbers were measured on: CPU, Python, and the versions of the real servers."""

from __future__ import annotations

import os
import platform
import sqlite3
import sys
from typing import Any

import redis
from sqlalchemy import create_engine, text


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo (Linux), else what `platform` knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def postgres_version(url: str | None) -> str | None:
    """`SELECT version()` of the PostgreSQL server, or None when there is none."""
    if not url:
        return None
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SHOW server_version")).scalar_one())
    except Exception as exc:  # noqa: BLE001 - any driver error means "not reachable"
        return f"unreachable ({type(exc).__name__})"
    finally:
        engine.dispose()


def redis_version(client: redis.Redis | None) -> str | None:
    """The redis-server version, or None without a server."""
    if client is None:
        return None
    info: dict[str, Any] = client.info("server")  # type: ignore[assignment]
    return str(info.get("redis_version"))


def describe_machine(pg_url: str | None, redis_client: redis.Redis | None) -> dict[str, Any]:
    """The machine and software the benchmarks ran on."""
    import gunicorn

    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "sqlite": sqlite3.sqlite_version,
        "postgresql": postgres_version(pg_url),
        "redis": redis_version(redis_client),
        "gunicorn": gunicorn.__version__,
        # Other work on the machine skews every figure; the ratios to the baseline less so.
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
