"""The one benchmark command runs end to end at small sizes and writes sane JSON.

No timing is asserted here (speed targets live in benchmarks/); only that every part ran on real
servers, wrote what it claims, and reported numbers that make sense as numbers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from benchmarks.external import last_json_object
from benchmarks.loadgen import percentile
from tests.conftest import PG_SERVER, ROOT

pytestmark = pytest.mark.e2e


def check_run(run: dict[str, Any], requests: int) -> None:
    """One load run: every request answered, percentiles ordered, throughput positive."""
    assert run["requests"] == requests
    assert run["req_per_s"] > 0
    assert 0 < run["p50_ms"] <= run["p95_ms"] <= run["p99_ms"]
    assert sum(run["statuses"].values()) == requests


def ordered_percentiles(r: dict[str, Any]) -> None:
    """p50 <= p95 <= p99, all positive milliseconds."""
    assert 0 < r["p50_ms"] <= r["p95_ms"] <= r["p99_ms"], r


@pytest.mark.timeout(900)
def test_small_benchmark_run_writes_sane_json(tmp_path: Path) -> None:
    out = tmp_path / "latest.json"
    env = {**os.environ, "BENCH_PG_URL": PG_SERVER}
    env.pop("BENCH_REDIS_URL", None)  # its own throwaway redis-server, never a shared database
    command = [sys.executable, "-m", "benchmarks", "--small", "--fanout-rows", "1500",
               "--json", str(out)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=880)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for line in ("inbound SMS webhook (postgresql)", "campaign fan-out (sqlite)",
                 "case -> offer (postgresql", "status callbacks (sqlite)"):
        assert line in done.stdout, line  # the table was printed
    report = json.loads(out.read_text())
    assert report["mode"] == "small"
    assert report["machine"]["cpu_count"] >= 1 and report["machine"]["postgresql"]
    sizes, results = report["sizes"], report["results"]
    for db in ("sqlite", "postgresql"):
        check_webhook(results["webhook"][db], sizes)
        check_fanout(results["campaign_fanout"]["runs"][db])
        check_latency(results["routing_latency"]["runs"][db])
        check_send_rate(results["status_vs_send_rate"][db])
    assert results["status_vs_send_rate"]["required_ratio"] == 3


def check_webhook(result: dict[str, Any], sizes: dict[str, int]) -> None:
    """Every measured text answered, written, forwarded and enqueued exactly once."""
    assert result["status"] == "ok", result
    check_run(result["webhook"]["hotline"], sizes["sms"])
    assert result["webhook"]["hotline"]["statuses"] == {"200": sizes["sms"]}
    check_run(result["webhook"]["baseline"], sizes["sms"])
    check_run(result["status_callbacks"]["hotline"], 2 * sizes["status_messages"])
    assert result["status_callbacks"]["hotline"]["statuses"] == {
        "204": 2 * sizes["status_messages"]}
    checks = result["checks"]
    assert checks["inbound_messages"] == sizes["sms"]  # every webhook wrote its message
    assert checks["delivered_messages"] == sizes["status_messages"]
    # Each text is a follow-up on an assigned case: forwarded to the volunteer, send enqueued.
    assert checks["tasks_enqueued_by_measured_sms"] == sizes["sms"] > 0
    assert checks["forwarded_to_volunteers"] == sizes["sms"] + sizes["warmup"]
    assert result["webhook"]["ratio"]["throughput"] > 0


def check_fanout(run: dict[str, Any]) -> None:
    """The campaign went to its whole audience; rates and memory are plausible numbers."""
    assert run["status"] == "ok", run.get("stderr_tail", run)
    r = run["result"]
    assert r["sent"] == r["audience"] > 0
    assert r["fanout"]["msg_per_s"] > 0 and r["fanout"]["baseline_msg_per_s"] > 0
    assert 10 < r["fanout"]["worker_peak_rss_mb"] < 2000
    assert r["import"]["rows_per_s"] > 0 and r["import"]["created"] > 0
    assert r["throttle"]["accepted_in_window"] > 0 and r["throttle"]["http_429"] >= 0


def check_latency(run: dict[str, Any]) -> None:
    """Every case got its offer; percentiles ordered; a worker really ran."""
    assert run["status"] == "ok", run.get("stderr_tail", run)
    r = run["result"]
    assert r["routing"]["n"] == r["baseline"]["n"] == r["cases"] > 0
    ordered_percentiles(r["routing"])
    ordered_percentiles(r["baseline"])
    assert r["worker_peak_rss_mb"] > 10


def check_send_rate(comparison: dict[str, Any]) -> None:
    """Callbacks/s over the configured, measured-throttled and measured fan-out rates."""
    assert comparison["callbacks_per_s"] > 0
    for name in ("configured_rate", "measured_fanout_ceiling", "measured_throttled_send"):
        r = comparison[name]
        assert r["send_rate_per_s"] > 0 and r["ratio"] > 0
        assert r["meets_3x"] == (r["ratio"] >= 3)


def test_percentile_is_nearest_rank() -> None:
    ordered = [float(i) for i in range(1, 101)]
    assert (percentile(ordered, 0.5), percentile(ordered, 0.99)) == (50.0, 99.0)
    assert percentile([], 0.5) == 0.0 and percentile([7.0], 0.99) == 7.0


def test_external_results_are_read_from_the_last_json_line() -> None:
    stdout = 'progress {not json}\n{"a": 1}\nlog line\n{"msg_per_s": 812.5}\ndone\n'
    assert last_json_object(stdout) == {"msg_per_s": 812.5}
    assert last_json_object("no json here") is None
