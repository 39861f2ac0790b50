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


@pytest.mark.timeout(900)
def test_small_benchmark_run_writes_sane_json(tmp_path: Path) -> None:
    out = tmp_path / "latest.json"
    env = {**os.environ, "BENCH_PG_URL": PG_SERVER}
    env.pop("BENCH_REDIS_URL", None)  # its own throwaway redis-server, never a shared database
    # campaign_fanout --small takes minutes and has its own test (issue 5); the rest is quick.
    command = [sys.executable, "-m", "benchmarks", "--small", "--only", "webhook,routing_latency",
               "--json", str(out)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=880)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "inbound SMS webhook (postgresql)" in done.stdout  # the table was printed
    report = json.loads(out.read_text())
    assert report["mode"] == "small"
    assert report["machine"]["cpu_count"] >= 1 and report["machine"]["postgresql"]
    sizes, results = report["sizes"], report["results"]
    for db in ("sqlite", "postgresql"):
        result = results["webhook"][db]
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
        # Routing is enqueued when a case's intake is over, so at most once per case here.
        assert checks["cases_opened"] > 0
        assert 0 <= checks["routing_tasks_enqueued"] <= checks["cases_opened"]
        assert result["webhook"]["ratio"]["throughput"] > 0
    assert results["status_vs_send_rate"]["required_ratio"] == 3
    latency = results["routing_latency"]
    assert latency["status"] in ("ok", "missing"), latency
    for run in latency.get("runs", {}).values():
        assert run["output"], "the routing benchmark printed its numbers"


def test_percentile_is_nearest_rank() -> None:
    ordered = [float(i) for i in range(1, 101)]
    assert (percentile(ordered, 0.5), percentile(ordered, 0.99)) == (50.0, 99.0)
    assert percentile([], 0.5) == 0.0 and percentile([7.0], 0.99) == 7.0


def test_external_results_are_read_from_the_last_json_line() -> None:
    stdout = 'progress {not json}\n{"a": 1}\nlog line\n{"msg_per_s": 812.5}\ndone\n'
    assert last_json_object(stdout) == {"msg_per_s": 812.5}
    assert last_json_object("no json here") is None
