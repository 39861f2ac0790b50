"""Load from wrk (C, epoll): the same generator for the baseline and the hotline.

A Python load generator on a 2-core machine costs about half of what a bare Flask route costs
per request, so it throttles the very baseline it is compared with. wrk costs a few percent of
that. Requests are signed in Python before the clock starts and replayed by a Lua script
(`wrk_load.lua`), each exactly once for the hotline (a MessageSid seen twice is a cheap replay,
which would flatter it) or cycling for the stateless baseline. While wrk runs, a sampler records
the machine's load average and CPU use, and the CPU time wrk itself spent is reported: a figure
measured while something else was busy says so beside it.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.loadgen import PreparedRequest, check_loopback

SCRIPT = Path(__file__).resolve().parent / "wrk_load.lua"
# One thread: a wrk thread that runs out of requests stops its event loop with its connections
# still open, some already accepted by a gunicorn sync worker that then waits for a request
# that never comes until gunicorn's --timeout kills it. With two threads the one finishing
# first pinned both workers and stalled the other thread's last requests for a minute (seen
# as "timeout" errors). One epoll thread drives far more than the bare route's rate.
THREADS, CONNECTIONS = 1, 8


def ensure_wrk() -> str:
    """The wrk binary; installed from Debian's packages when missing and allowed (root)."""
    found = shutil.which("wrk")
    if found:
        return found
    if shutil.which("apt-get") and os.geteuid() == 0:
        subprocess.call("apt-get install -y -qq wrk >/dev/null 2>&1 || (apt-get update -qq && "
                        "apt-get install -y -qq wrk >/dev/null)", shell=True)
        found = shutil.which("wrk")
    if not found:
        raise RuntimeError("the webhook benchmark needs wrk (Debian/Ubuntu: apt install wrk)")
    return found


def write_requests(path: Path, requests: list[PreparedRequest]) -> None:
    """One line per request: path, body and headers, tab-separated (see wrk_load.lua)."""
    with path.open("w", encoding="utf-8") as out:
        for req in requests:
            body = req.body.decode("ascii")
            headers = [f"{k}={v}" for k, v in req.headers.items()]
            fields = [req.path, body, *headers]
            if any("\t" in f or "\n" in f for f in fields):
                raise ValueError("a request field holds a tab or a newline")
            out.write("\t".join(fields) + "\n")


@dataclass
class MachineSampler:
    """Load average and whole-machine CPU busy share, sampled every `every` seconds."""

    every: float = 0.5
    loads: list[float] = field(default_factory=list)
    busy: list[float] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> MachineSampler:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.loads.append(os.getloadavg()[0])  # a run shorter than one period still has one

    def _run(self) -> None:
        last = _cpu_times()
        while not self._stop.wait(self.every):
            self.loads.append(os.getloadavg()[0])
            now = _cpu_times()
            total = now[0] - last[0]
            if total > 0:
                self.busy.append(1 - (now[1] - last[1]) / total)
            last = now

    def summary(self) -> dict[str, Any]:
        """Min / mean / max of the samples (load average over 1 min; CPU busy as a share)."""
        def stats(xs: list[float]) -> dict[str, float] | None:
            if not xs:
                return None
            return {"min": round(min(xs), 2), "mean": round(sum(xs) / len(xs), 2),
                    "max": round(max(xs), 2)}

        return {"load_average": stats(self.loads), "cpu_busy": stats(self.busy),
                "samples": len(self.loads)}


def _cpu_times() -> tuple[float, float]:
    """(all jiffies, idle + iowait jiffies) from /proc/stat; zeros where there is none."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            parts = [float(x) for x in stat.readline().split()[1:]]
    except OSError:
        return (0.0, 0.0)
    return (sum(parts), parts[3] + (parts[4] if len(parts) > 4 else 0.0))


def run_wrk(base_url: str, requests: list[PreparedRequest], *, seconds: float,
            cycle: bool = False) -> dict[str, Any]:
    """Drive `requests` at `base_url` with wrk for at most `seconds`; figures as a dict."""
    check_loopback(base_url)
    binary = ensure_wrk()
    with tempfile.TemporaryDirectory(prefix="wrk-") as tmp:
        req_file = Path(tmp) / "requests.tsv"
        write_requests(req_file, requests)
        args = [binary, "-t", str(THREADS), "-c", str(CONNECTIONS), "-d", f"{seconds:.0f}s",
                "--timeout", "30s", "-s", str(SCRIPT), base_url, "--", str(req_file),
                str(THREADS), "cycle" if cycle else "once"]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        with MachineSampler() as sampler:
            stdout, stderr, code = _drive(args, req_file, seconds)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if code != 0:
        raise RuntimeError(f"wrk failed ({code}): {stderr[-500:]}")
    line = next((ln for ln in reversed(stdout.splitlines()) if ln.startswith("{")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result: {stdout[-500:]}")
    raw = json.loads(line)
    return summarise(raw, sampler.summary(),
                     (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime))


def _drive(args: list[str], req_file: Path, seconds: float) -> tuple[str, str, int]:
    """Run wrk; end it early (SIGINT: it still prints its figures) once every thread has
    used up its requests, since wrk's main thread otherwise sleeps out the whole -d."""
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + seconds + 60
    marks = [Path(f"{req_file}.done.{i}") for i in range(THREADS)]
    while proc.poll() is None and time.monotonic() < deadline:
        if all(m.exists() for m in marks):
            proc.send_signal(signal.SIGINT)
            break
        time.sleep(0.05)
    try:
        stdout, stderr = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, stderr = proc.communicate()
    return stdout, stderr, proc.returncode


def summarise(raw: dict[str, Any], machine: dict[str, Any], wrk_cpu: float) -> dict[str, Any]:
    """wrk's numbers in the benchmark's units (req/s, ms), with the machine's load beside."""
    seconds = raw["duration_us"] / 1e6
    lat = raw["latency_us"]
    errors = {k: v for k, v in raw["errors"].items() if v}
    return {
        "requests": raw["requests"],
        "seconds": round(seconds, 3),
        "req_per_s": round(raw["requests"] / seconds, 1) if seconds else 0.0,
        "p50_ms": round(lat["p50"] / 1000, 2), "p95_ms": round(lat["p95"] / 1000, 2),
        "p99_ms": round(lat["p99"] / 1000, 2), "max_ms": round(lat["max"] / 1000, 2),
        "errors": errors, "replays": raw["replays"],
        # wrk's own CPU seconds per second of run: what the generator took from the cores.
        "loadgen_cpu_share": round(wrk_cpu / seconds, 3) if seconds else None,
        "machine": machine,
    }

