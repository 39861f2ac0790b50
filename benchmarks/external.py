"""Benchmarks other parts of the project own (campaign fan-out, case→offer latency).

Each is a module `benchmarks/<name>.py` run as `python -m benchmarks.<name>` in its own process,
so its memory and CPU are its own. The runner passes `--small`, `--json PATH`, `--db sqlite|
postgresql` (one run per database) when the script's `--help` lists them, and BENCH_SMALL=1 /
BENCH_JSON=PATH in the environment either way. Results are read from that JSON file, else from
the last JSON object printed on stdout; the last lines of the output are kept as well.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXTERNAL = ("campaign_fanout", "routing_latency", "routing_during_campaign")
TIME_LIMIT = {True: 900.0, False: 3600.0}  # per run: small (CI smoke) / full


def last_json_object(stdout: str) -> dict[str, Any] | None:
    """The last line of `stdout` that parses as a JSON object, if any."""
    for line in reversed(stdout.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                value = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict):
                return value
    return None


def supported_flags(module: str) -> str:
    """The script's --help text ('' if it has none)."""
    try:
        done = subprocess.run([sys.executable, "-m", f"benchmarks.{module}", "--help"],
                              cwd=ROOT, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        return ""
    return done.stdout if done.returncode == 0 else ""


def variants(module: str, help_text: str, small: bool, databases: tuple[str, ...] = (
        "sqlite", "postgresql"), rows: int | None = None) -> dict[str, list[str]]:
    """The runs of one script: once per database when it takes --db, else once."""
    base = ["--small"] if small and "--small" in help_text else []
    if small and "--seconds" in help_text:
        base += ["--seconds", "3"]  # CI smoke: a short window is enough to prove it runs
    if small and "--throttle-seconds" in help_text:
        base += ["--throttle-seconds", "4"]
    if rows and "--rows" in help_text:
        base += ["--rows", str(rows)]
    if "--db" in help_text and "sqlite" in help_text:
        return {db: [*base, "--db", db] for db in databases}
    return {"all": base}


def run_external(module: str, small: bool, *, databases: tuple[str, ...] = (
        "sqlite", "postgresql"), rows: int | None = None,
        env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run one external benchmark (per database if it can); its results, or why there are none.

    `env` adds variables (the runner passes BENCH_REDIS_URL of its throwaway redis-server).
    """
    if not (ROOT / "benchmarks" / f"{module}.py").exists():
        return {"status": "missing", "note": f"benchmarks/{module}.py does not exist yet"}
    help_text = supported_flags(module)
    runs = {name: run_once(module, args, help_text, small, env or {})
            for name, args in variants(module, help_text, small, databases, rows).items()}
    failed = any(r["status"] != "ok" for r in runs.values())
    return {"status": "error" if failed else "ok", "runs": runs}


def run_once(module: str, extra: list[str], help_text: str, small: bool,
             more_env: dict[str, str] | None = None) -> dict[str, Any]:
    """One subprocess run of `python -m benchmarks.<module> ...extra`."""
    with tempfile.TemporaryDirectory(prefix="bench-ext-") as tmp:
        out_path = Path(tmp) / "result.json"
        args = [sys.executable, "-m", f"benchmarks.{module}", *extra]
        args += ["--json", str(out_path)] if "--json" in help_text else []
        env = {**os.environ, "BENCH_JSON": str(out_path), **({"BENCH_SMALL": "1"} if small else {}),
               **(more_env or {})}
        started = time.monotonic()
        done = run_in_own_group(args, env, TIME_LIMIT[small])
        if done is None:
            return {"status": "error", "note": f"timed out after {TIME_LIMIT[small]:.0f}s"}
        result = _read_result(out_path, done.stdout)
    outcome: dict[str, Any] = {"status": "ok" if done.returncode == 0 else "error",
                               "seconds": round(time.monotonic() - started, 1),
                               "command": " ".join(["python -m", f"benchmarks.{module}", *extra]),
                               "output": done.stdout.strip().splitlines()[-25:]}
    if result is not None:
        outcome["result"] = result
    if done.returncode != 0:
        outcome["stderr_tail"] = done.stderr[-2000:]
    return outcome


def run_in_own_group(args: list[str], env: dict[str, str], timeout: float
                     ) -> subprocess.CompletedProcess[str] | None:
    """Run a script in its own process group; on timeout stop the group (its workers too)."""
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.communicate(timeout=10)
                break
        return None
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


def _read_result(path: Path, stdout: str) -> dict[str, Any] | None:
    if path.exists():
        try:
            value = json.loads(path.read_text())
            return value if isinstance(value, dict) else {"value": value}
        except json.JSONDecodeError:
            pass
    return last_json_object(stdout)
