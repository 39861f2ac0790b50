"""Benchmarks other parts of the project own (campaign fan-out, case→offer latency).

Each is a module `benchmarks/<name>.py` run as `python -m benchmarks.<name>` in its own process,
so its memory and CPU are its own. The runner passes `--small` and `--json PATH` when the
script's `--help` lists them, and BENCH_SMALL=1 / BENCH_JSON=PATH in the environment either
way. Results are read from that JSON file, else from the last JSON object printed on stdout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXTERNAL = ("campaign_fanout", "routing_latency")
TIME_LIMIT = {True: 300.0, False: 3600.0}  # small (CI smoke) / full


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


def run_external(module: str, small: bool) -> dict[str, Any]:
    """Run one external benchmark; its results, or why there are none."""
    if not (ROOT / "benchmarks" / f"{module}.py").exists():
        return {"status": "missing", "note": f"benchmarks/{module}.py does not exist yet"}
    help_text = supported_flags(module)
    with tempfile.TemporaryDirectory(prefix="bench-ext-") as tmp:
        out_path = Path(tmp) / "result.json"
        args = [sys.executable, "-m", f"benchmarks.{module}"]
        args += ["--small"] if small and "--small" in help_text else []
        args += ["--json", str(out_path)] if "--json" in help_text else []
        env = {**os.environ, "BENCH_JSON": str(out_path), **({"BENCH_SMALL": "1"} if small else {})}
        started = time.monotonic()
        try:
            done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True,
                                  timeout=TIME_LIMIT[small])
        except subprocess.TimeoutExpired:
            return {"status": "error", "note": f"timed out after {TIME_LIMIT[small]:.0f}s"}
        result = _read_result(out_path, done.stdout)
    outcome: dict[str, Any] = {"status": "ok" if done.returncode == 0 else "error",
                               "seconds": round(time.monotonic() - started, 1),
                               "command": " ".join(["python", *args[1:3], *args[3:4]])}
    if result is not None:
        outcome["result"] = result
    if done.returncode != 0 or result is None:
        outcome["output_tail"] = (done.stdout + done.stderr)[-2000:]
    return outcome


def _read_result(path: Path, stdout: str) -> dict[str, Any] | None:
    if path.exists():
        try:
            value = json.loads(path.read_text())
            return value if isinstance(value, dict) else {"value": value}
        except json.JSONDecodeError:
            pass
    return last_json_object(stdout)
