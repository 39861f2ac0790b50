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


@pytest.mark.timeout(1500)
def test_small_benchmark_run_writes_sane_json(tmp_path: Path) -> None:
    out = tmp_path / "latest.json"
    env = {**os.environ, "BENCH_PG_URL": PG_SERVER}
    env.pop("BENCH_REDIS_URL", None)  # its own throwaway redis-server, never a shared database
    command = [sys.executable, "-m", "benchmarks", "--small", "--fanout-rows", "1500",
               "--json", str(out)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=1480)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for line in ("inbound SMS webhook, first text (postgresql)", "campaign fan-out (sqlite)",
                 "case -> offer (postgresql", "status callbacks (sqlite)",
                 "console at size (postgresql", "console at size (sqlite"):
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
        check_datasize(results["datasize"]["runs"][db], db)
    assert "sqlite_workers" in results["webhook"]["sqlite"]  # one worker against two
    during = results["routing_during_campaign"]["runs"]["all"]
    check_latency(during)
    assert during["result"]["urgent"]["n"] > 0  # injuries were routed as urgent
    assert during["result"]["campaign"]["sent_during_routing"] > 0  # the campaign was sending
    assert results["status_vs_send_rate"]["required_ratio"] == 3


def check_webhook(result: dict[str, Any], sizes: dict[str, int]) -> None:
    """Every prepared text answered, written and enqueued exactly once, on both paths."""
    assert result["status"] == "ok", result
    for path in ("first_text", "assigned_case"):
        for side in ("hotline", "baseline"):
            check_wrk_run(result[path][side], sizes["sms"])
    check_wrk_run(result["status_callbacks"]["hotline"], 2 * sizes["status_messages"])
    checks = result["checks"]
    # Every answered webhook wrote its message and each first text, once read, opened its
    # case. A thread
    # stops once it has as many answers as requests, replays' answers included, so up to one
    # fresh request per connection (8) may be cut off in flight at the very end.
    cut = 8  # connections
    sent = 2 * sizes["sms"]
    assert sent - cut <= checks["inbound_messages"] <= sent
    assert sizes["sms"] - cut <= checks["cases_opened_by_first_texts"] <= sizes["sms"]
    assert sizes["status_messages"] - cut <= checks["delivered_messages"] <= sizes[
        "status_messages"]
    # A follow-up enqueues its forward to the volunteer (a first text only asks the next
    # intake question: the case is routed when the intake is confirmed).
    enqueued = result["assigned_case"]["hotline"]["tasks_enqueued"]
    assert sizes["sms"] - cut <= enqueued <= sizes["sms"]
    assert abs(checks["forwarded_to_volunteers"] - sizes["warmup"] - enqueued) <= cut
    assert 0 < result["first_text"]["ratio"]["throughput"] < 1
    for path in ("first_text", "assigned_case"):  # a real worker read every stored text
        reading = result[path]["hotline"]["reading"]
        assert sizes["sms"] - cut <= reading["texts"] == reading["texts_read"] <= sizes["sms"] + cut
        assert reading["texts_per_s"] > 0
    if "sqlite_workers" in result:  # SQLite: the webhook under one gunicorn worker, then two
        workers = result["sqlite_workers"]
        for run in ("workers_1", "workers_2"):
            for path in ("first_text", "assigned_case"):
                check_wrk_run(workers[run][path], sizes["sms"])
        assert all(ratio > 0 for ratio in workers["p99_two_over_one"].values())


def check_wrk_run(run: dict[str, Any], prepared: int) -> None:
    """A wrk run sent every prepared request (plus at most one replay per connection), got
    no error, and reported ordered percentiles and the machine's load while it ran."""
    assert run["errors"] == {}, run
    assert prepared <= run["requests"] <= prepared + 8 and run["replays"] <= 8
    assert 0 < run["p50_ms"] <= run["p95_ms"] <= run["p99_ms"] <= run["max_ms"]
    assert run["machine"]["samples"] >= 1 and run["loadgen_cpu_share"] is not None


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


def check_datasize(run: dict[str, Any], db: str) -> None:
    """The console at a small size: every page of every role answered, empty and full, with
    the rows generated and the audiences counted and materialised."""
    from benchmarks.datasize_pages import PAGES

    assert run["status"] == "ok", run.get("stderr_tail", run)
    report = run["result"]
    assert report["scale"] == 0.01
    result = report["results"][db]
    assert result["rows"]["cases"] == report["sizes"]["cases"] > 0
    assert result["rows"]["campaign_recipients"] > 0
    assert {role: list(pages) for role, pages in result["pages"].items()} == PAGES
    for pages in result["pages"].values():
        for r in pages.values():
            # Empty, a page naming a case or campaign that does not exist yet is a 404.
            assert r["empty"]["status"] < 500 and r["full"]["status"] < 400, r
            for timing in (r["empty"], r["full"]):
                assert timing["statements"] > 0, r
                assert 0 < timing["median_ms"] <= timing["max_ms"], r
    assert len(result["audiences_ms"]) == 3 and all(ms > 0 for ms in
                                                    result["audiences_ms"].values())


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
