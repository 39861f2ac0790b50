"""`python -m benchmarks [--small]`: every benchmark, one table, one JSON file.

`datasize` (the console at a centre's three-year size, benchmarks/datasize.py) runs last:
at scale 1.0 by default (several minutes per database), 0.01 with `--small`.

Full sizes by default; `--small` is the CI smoke. Needs a PostgreSQL server (BENCH_PG_URL,
default postgresql+psycopg://postgres@127.0.0.1:5432/test; each benchmark creates and drops a
schema of its own) and starts one throwaway redis-server that every part (the external scripts
too, through BENCH_REDIS_URL) runs in, unless BENCH_REDIS_URL already names a scratch database.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis

from benchmarks.external import EXTERNAL, run_external
from benchmarks.machine import describe_machine
from benchmarks.servers import postgres_database, redis_server, sqlite_database
from benchmarks.webhook import FULL, SMALL, Sizes, bench_database, pg_server_url

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"
DATASIZE = "datasize"  # the console at three years of data (benchmarks/datasize.py)
SECTIONS = ("webhook", *EXTERNAL, DATASIZE)
CALLBACKS_PER_MESSAGE = 3  # queued/sent/delivered: why callbacks must keep up 3× the send rate


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--small", action="store_true", help="CI smoke sizes")
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help=f"comma-separated subset of {', '.join(SECTIONS)}")
    parser.add_argument("--databases", default="sqlite,postgresql",
                        help="comma-separated subset of sqlite,postgresql")
    parser.add_argument("--json", type=Path, default=RESULTS, help="where to write results")
    parser.add_argument("--readme", action="store_true",
                        help="rewrite README.md's benchmark table from this run")
    parser.add_argument("--fanout-rows", type=int, default=None,
                        help="campaign fan-out size (default 400,000; 20,000 with --small)")
    return parser.parse_args(argv)


def database_contexts(tmp: Path) -> dict[str, Callable[[], AbstractContextManager[str]]]:
    """How to get a fresh migrated database of each kind."""
    return {"sqlite": lambda: sqlite_database(tmp),
            "postgresql": lambda: postgres_database(pg_server_url())}


def run_webhooks(databases: list[str], redis_url: str, sizes: Sizes) -> dict[str, Any]:
    """The webhook and status benchmarks on each database; an error is recorded, not raised."""
    import tempfile

    out: dict[str, Any] = {}
    for name in databases:
        with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
            try:
                with database_contexts(Path(tmp))[name]() as url:
                    out[name] = {"status": "ok", **bench_database(url, redis_url, sizes)}
            except Exception as exc:  # noqa: BLE001 - report and carry on with the next one
                out[name] = {"status": "error", "note": f"{type(exc).__name__}: {exc}",
                             "traceback": traceback.format_exc()[-2000:]}
    return out


def send_rate_comparison(webhooks: dict[str, Any], fanout: dict[str, Any] | None
                         ) -> dict[str, Any]:
    """Status callbacks/s (per database) against campaign send rates, goal >= 3x each.

    Three send rates, each named for what it is: the fan-out MEASURED with a zero-latency
    provider and no throttle (the pipeline's ceiling, far above anything Twilio would accept);
    the send rate MEASURED through the fake Twilio at a configured throttle; and the
    CONFIGURED CAMPAIGN_RATE_PER_SECOND, the rate production really sends at.
    """
    from hotline.infra.config import ENV_DEFAULTS

    configured = float(os.environ.get("CAMPAIGN_RATE_PER_SECOND")
                       or ENV_DEFAULTS.get("CAMPAIGN_RATE_PER_SECOND") or 10)
    runs = (fanout or {}).get("runs", {})
    out: dict[str, Any] = {"required_ratio": CALLBACKS_PER_MESSAGE,
                           "configured_campaign_rate_per_s": configured}
    for db, result in webhooks.items():
        if result.get("status") != "ok":
            continue
        callbacks = float(result["status_callbacks"]["hotline"]["req_per_s"])
        measured = (runs.get(db) or {}).get("result") or {}
        rates = {"configured_rate": configured,
                 "measured_fanout_ceiling": (measured.get("fanout") or {}).get("msg_per_s"),
                 "measured_throttled_send": (measured.get("throttle") or {}).get("steady_rate")}
        out[db] = {"callbacks_per_s": callbacks, **{
            name: {"send_rate_per_s": rate, "ratio": round(callbacks / rate, 2),
                   "meets_3x": callbacks / rate >= CALLBACKS_PER_MESSAGE}
            for name, rate in rates.items() if rate}}
    return out


def webhook_rows(webhooks: dict[str, Any]) -> list[list[str]]:
    """Table rows for the webhook and status benchmarks."""
    rows = []
    for db, result in webhooks.items():
        if result.get("status") != "ok":
            rows.append([f"webhook/status ({db})", "error", result.get("note", "")[:60],
                         "", "", "", "", ""])
            continue
        for label, key in (("inbound SMS webhook, first text", "first_text"),
                           ("inbound SMS webhook, assigned case", "assigned_case"),
                           ("status callback", "status_callbacks")):
            r = result[key]
            load = (r["hotline"]["machine"].get("load_average") or {}).get("mean")
            rows.append([f"{label} ({db})", f"{r['hotline']['req_per_s']}",
                         f"{r['hotline']['p50_ms']}", f"{r['hotline']['p99_ms']}",
                         f"{r['baseline']['req_per_s']}", f"{r['baseline']['p50_ms']}",
                         f"{r['ratio']['throughput']}", f"{load}"])
            if "reading" in r["hotline"]:
                reading = r["hotline"]["reading"]
                rows.append([f"  read by a worker ({db})", f"{reading['texts_per_s']}/s",
                             "", "", "", "", "", f"{reading['texts_read']} texts"])
        for workers in (1, 2):
            run = (result.get("sqlite_workers") or {}).get(f"workers_{workers}", {})
            for key, label in (("first_text", "first text"), ("assigned_case", "assigned case")):
                if key in run:
                    r = run[key]
                    load = (r["machine"].get("load_average") or {}).get("mean")
                    rows.append([f"SMS webhook, {label} ({db}, -w {workers})",
                                 f"{r['req_per_s']}", f"{r['p50_ms']}", f"{r['p99_ms']}",
                                 "", "", "", f"{load}"])
    return rows


def print_table(results: dict[str, Any]) -> None:
    """The human summary; the JSON holds everything."""
    header = ["benchmark", "req/s", "p50 ms", "p99 ms", "bare req/s", "bare p50", "ratio",
              "load avg"]
    rows = webhook_rows(results.get("webhook", {}))
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
    print_external_rows(results)
    print_datasize_rows(results.get(DATASIZE))
    print_send_rate(results.get("status_vs_send_rate"))
    for name in EXTERNAL:
        ext = results.get(name)
        if ext is None:
            continue
        print(f"\n{name}: {ext['status']} {ext.get('note', '')}")
        for run_name, run in ext.get("runs", {}).items():
            print(f"  [{run_name}] {run['status']} {run.get('note', '')}")
            shown = run.get("result") or "\n    ".join(run.get("output", [])[-12:])
            print("    " + (json.dumps(shown, ensure_ascii=False) if run.get("result") else shown))


def print_external_rows(results: dict[str, Any]) -> None:
    """Fan-out and case-to-offer latency, one line per database, from their JSON."""
    for db, run in (results.get("campaign_fanout") or {}).get("runs", {}).items():
        r = run.get("result") or {}
        if "fanout" in r:
            f, t = r["fanout"], r["throttle"]
            print(f"campaign fan-out ({db}): {r['sent']:,} msgs {f['msg_per_s']:,} msg/s "
                  f"(baseline {f['baseline_msg_per_s']:,}, x{f['ratio']}), worker peak RSS "
                  f"{f['worker_peak_rss_mb']} MB; import {r['import']['rows_per_s']:,} rows/s; "
                  f"throttle {t['rate_per_s']}/s -> steady {t['steady_rate']}/s, "
                  f"{t['http_429']} x 429")
        p = r.get("providers")
        if p:
            print(f"campaign fan-out through the provider clients ({db}, {p['audience']:,} "
                  f"recipients): Twilio {p['twilio']['msg_per_s']:,} msg/s, Alibaba "
                  f"{p['alibaba']['msg_per_s']:,} msg/s (Alibaba/Twilio x"
                  f"{p['alibaba_over_twilio']})")
            print(p.get("readme_row", ""))  # the README table line, pasted as printed
    for db, run in [*(results.get("routing_latency") or {}).get("runs", {}).items(),
                    *(results.get("routing_during_campaign") or {}).get("runs", {}).items()]:
        r = run.get("result") or {}
        if "campaign" in r and "urgent" in r:
            o, u, c = r["routing"], r["urgent"], r["campaign"]
            print(f"case -> offer during a {c['recipients']:,}-recipient campaign "
                  f"({r['db']}, {r['rate_per_s']}/s, n={o['n']}): p95 {o['p95_ms']} ms "
                  f"(goal < 300), urgent p95 {u['p95_ms']} ms (goal < 150); campaign sent "
                  f"{c['sent_per_s_during_routing']}/s meanwhile")
        elif "routing" in r:
            o, b = r["routing"], r["baseline"]
            print(f"case -> offer ({db}, {r['rate_per_s']}/s, n={o['n']}): p50 {o['p50_ms']} / "
                  f"p95 {o['p95_ms']} / p99 {o['p99_ms']} ms; baseline SMS p50 {b['p50_ms']} ms "
                  f"(x{r['p50_ratio']}); worker peak RSS {r['worker_peak_rss_mb']} MB")


def print_datasize_rows(datasize: dict[str, Any] | None) -> None:
    """Per database: pages timed, the slowest page full, statements empty vs full."""
    for db, run in ((datasize or {}).get("runs") or {}).items():
        report = run.get("result") or {}
        for name, result in (report.get("results") or {}).items():
            pages = [(role, path, r["empty"], r["full"])
                     for role, timed in result["pages"].items() for path, r in timed.items()]
            if not pages:
                continue
            role, path, _, slowest = max(pages, key=lambda p: p[3]["median_ms"])
            grew = sum(1 for *_, e, f in pages if f["statements"] > e["statements"])
            print(f"console at size ({name}, scale {report.get('scale')}, "
                  f"{sum(result['rows'].values()):,} rows): {len(pages)} pages, slowest "
                  f"{role} {path} {slowest['median_ms']} ms median; {grew} page(s) sent more "
                  f"statements full than empty [{run.get('status', db)}]")


def print_send_rate(comparison: dict[str, Any] | None) -> None:
    """Status callbacks/s over each send rate, against the >= 3x goal."""
    if not comparison:
        return
    for db, value in comparison.items():
        if not isinstance(value, dict):
            continue
        for name, r in value.items():
            if isinstance(r, dict):
                verdict = "meets" if r["meets_3x"] else "MISSES"
                print(f"status callbacks ({db}) {value['callbacks_per_s']}/s vs {name} "
                      f"{r['send_rate_per_s']}/s: x{r['ratio']} ({verdict} the >= 3x goal)")


def main(argv: list[str] | None = None) -> int:
    """Run the selected benchmarks, print the table, write the JSON; 1 if any part failed."""
    args = parse_args(argv)
    sizes, only = (SMALL if args.small else FULL), set(args.only.split(","))
    results: dict[str, Any] = {}
    databases = tuple(args.databases.split(","))
    with redis_server() as redis_url:
        machine = describe_machine(pg_server_url(), redis.Redis.from_url(redis_url))
        if "webhook" in only:
            results["webhook"] = run_webhooks(list(databases), redis_url, sizes)
        for name in EXTERNAL:  # inside the same throwaway Redis, never a shared database
            if name in only:
                results[name] = run_external(
                    name, args.small, databases=databases, env={"BENCH_REDIS_URL": redis_url},
                    rows=args.fanout_rows if name == "campaign_fanout" else None)
        if DATASIZE in only:  # its own process: the filled databases are dropped with it
            results[DATASIZE] = run_external(DATASIZE, args.small, databases=databases,
                                             env={"BENCH_REDIS_URL": redis_url})
    if "webhook" in results:
        results["status_vs_send_rate"] = send_rate_comparison(
            results["webhook"], results.get("campaign_fanout"))
    report = {"generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
              "mode": "small" if args.small else "full", "sizes": sizes.__dict__,
              "machine": machine, "results": results}
    print_table(results)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"results written to {args.json}")
    if args.readme:
        from benchmarks.readme_table import README, rewrite

        rewrite(README, report)
        print(f"benchmark table rewritten in {README}")
    failed = [k for k, v in _statuses(results) if v == "error"]
    if failed:
        print("FAILED:", ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


def _statuses(results: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for name, value in results.items():
        if name == "webhook":
            yield from ((f"webhook/{db}", r["status"]) for db, r in value.items())
        elif isinstance(value, dict) and "status" in value:
            yield name, value["status"]


if __name__ == "__main__":
    sys.exit(main())
