"""The README's benchmark table, written from a results JSON (never by hand).

`python -m benchmarks --readme` rewrites the block between the two markers in README.md after a
full run; `python -m benchmarks.readme_table [results.json]` rewrites it from a saved run.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

README = Path(__file__).resolve().parent.parent / "README.md"
BEGIN = "<!-- benchmark table: written by `python -m benchmarks --readme`; do not edit -->"
END = "<!-- end of benchmark table -->"
DATABASES = ("sqlite", "postgresql")
WEBHOOK_ROWS = (
    ("first_text", "inbound SMS webhook, a worker's first text (signature, the text and its "
                   "receipt in one commit, its reading enqueued); then read by one worker "
                   "(contact, the text read, case opened, first question texted back)"),
    ("assigned_case", "inbound SMS webhook, a text on an assigned case (the same webhook); then "
                      "read by one worker (message, timeline, forward to the volunteer)"),
    ("status_callbacks", "status callback (sent, then delivered)"),
)


def _num(x: float | None, digits: int = 1) -> str:
    return "–" if x is None else f"{x:,.{digits}f}"


def _webhook_cell(result: dict[str, Any] | None, key: str) -> str:
    if not result or result.get("status") != "ok":
        return "not run" if not result else "error"
    r = result[key]["hotline"]
    load = (r["machine"].get("load_average") or {}).get("mean")
    cell = (f"{_num(r['req_per_s'])} req/s, p50 {_num(r['p50_ms'])} / p99 {_num(r['p99_ms'])} "
            f"ms (load avg {_num(load)})")
    reading = r.get("reading")
    if reading:
        cell += (f"; read {_num(reading['texts_per_s'])} texts/s (worker -c "
                 f"{reading['worker_concurrency']}, {reading['texts_read']:,} texts)")
    return cell


def _baseline_cell(webhook: dict[str, Any], key: str) -> str:
    parts, ratios = [], []
    for db in DATABASES:
        result = webhook.get(db)
        if result and result.get("status") == "ok":
            parts.append(_num(result[key]["baseline"]["req_per_s"], 0))
            ratios.append(f"×{result[key]['ratio']['throughput']}")
    if not parts:
        return ""
    return f"bare Flask route {' / '.join(parts)} req/s ({' / '.join(ratios)})"


def _workers_row(result: dict[str, Any] | None) -> list[str] | None:
    """SQLite's one-writer lock: the webhook's p99 under `gunicorn -w 1` and `-w 2`."""
    runs = (result or {}).get("sqlite_workers")
    if not runs:
        return None
    cells = []
    for key, label in (("first_text", "first text"), ("assigned_case", "assigned case")):
        one, two = runs["workers_1"][key], runs["workers_2"][key]
        cells.append(f"{label}: p99 {_num(one['p99_ms'])} ms with `-w 1`, {_num(two['p99_ms'])} "
                     f"ms with `-w 2` (×{runs['p99_two_over_one'][key]}; "
                     f"{_num(one['req_per_s'], 0)} → {_num(two['req_per_s'], 0)} req/s)")
    return ["SQLite: inbound SMS webhook, one gunicorn worker against two (goal: p99 with two "
            "no worse)", "; ".join(cells), "", "same database and load"]


def _external_rows(results: dict[str, Any]) -> list[list[str]]:
    rows: list[list[str]] = []
    fan = {db: (r.get("result") or {}) for db, r in
           (results.get("campaign_fanout") or {}).get("runs", {}).items()}
    if fan:
        cells = [(f"{_num(f['fanout']['msg_per_s'], 0)} msg/s, worker peak RSS "
                  f"{f['fanout']['worker_peak_rss_mb']} MB") if "fanout" in f else "not run"
                 for f in (fan.get(db, {}) for db in DATABASES)]
        base = [f"×{f['fanout']['ratio']}" for f in fan.values() if "fanout" in f]
        rows.append(["campaign fan-out, zero-latency provider", *cells,
                     f"against the per-message baseline ({' / '.join(base)})"])
    if fan:
        cells = [(f"{_num(f['import']['rows_per_s'], 0)} rows/s") if "import" in f else "not run"
                 for f in (fan.get(db, {}) for db in DATABASES)]
        rows.append(["contact CSV import", *cells, ""])
        cells = [(f"{f['throttle']['rate_per_s']}/s configured: steady "
                  f"{f['throttle']['steady_rate']}/s, {f['throttle']['http_429']} × 429")
                 if "throttle" in f else "not run" for f in (fan.get(db, {}) for db in DATABASES)]
        rows.append(["campaign throttle against the fake Twilio's limit", *cells, ""])
        for db, f in fan.items():
            p = f.get("providers")
            if p:
                rows.append([f"campaign fan-out through each provider's real client "
                             f"({p['audience']:,} recipients, {db})", "", "",
                             f"Twilio {_num(p['twilio']['msg_per_s'])} msg/s, Alibaba "
                             f"{_num(p['alibaba']['msg_per_s'])} msg/s "
                             f"(×{p['alibaba_over_twilio']})"])
    lat = {db: (r.get("result") or {}) for db, r in
           (results.get("routing_latency") or {}).get("runs", {}).items()}
    if lat:
        cells = [(f"p50 {o['routing']['p50_ms']} / p95 {o['routing']['p95_ms']} / p99 "
                  f"{o['routing']['p99_ms']} ms") if "routing" in o else "not run"
                 for o in (lat.get(db, {}) for db in DATABASES)]
        rows.append(["case → offer SMS, real worker", *cells, ""])
    for run in (results.get("routing_during_campaign") or {}).get("runs", {}).values():
        r = run.get("result") or {}
        if "campaign" in r and "urgent" in r:
            o, u, c = r["routing"], r["urgent"], r["campaign"]
            rows.append([f"case → offer SMS at {r['rate_per_s']:g}/s while a "
                         f"{c['recipients']:,}-recipient campaign fans out on the same "
                         "machine (its own worker at nice 15)",
                         "not run", f"p95 {o['p95_ms']} ms, urgent p95 {u['p95_ms']} ms",
                         f"campaign sent {c['sent_per_s_during_routing']}/s meanwhile"])
    return rows


def render(report: dict[str, Any]) -> str:
    """The markdown block (markers included) for one results report."""
    results, machine = report.get("results", {}), report.get("machine", {})
    webhook = results.get("webhook", {})
    lines = [
        BEGIN,
        f"Run {report.get('generated_at', '?')}, {report.get('mode', '?')} sizes, "
        f"{machine.get('cpu_count')} × {machine.get('cpu_model')}, Python "
        f"{machine.get('python')}, SQLite {machine.get('sqlite')}, PostgreSQL "
        f"{machine.get('postgresql')}, Redis {machine.get('redis')}, gunicorn "
        f"{machine.get('gunicorn')} (`-w 2`); load from wrk (1 thread, 8 connections, each "
        "signed request once). The load average beside each figure was sampled while it ran.",
        "",
        "| benchmark | SQLite | PostgreSQL | baseline in the same run |",
        "|---|---|---|---|",
    ]
    for key, label in WEBHOOK_ROWS:
        cells = [_webhook_cell(webhook.get(db), key) for db in DATABASES]
        lines.append(f"| {label} | {cells[0]} | {cells[1]} | {_baseline_cell(webhook, key)} |")
    workers = _workers_row(webhook.get("sqlite"))
    for row in [*([workers] if workers else []), *_external_rows(results)]:
        lines.append("| " + " | ".join(row) + " |")
    lines.append(END)
    return "\n".join(lines)


def rewrite(readme: Path, report: dict[str, Any]) -> None:
    """Replace the marked block in `readme` with the table of `report`."""
    text = readme.read_text(encoding="utf-8")
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"{readme} has no benchmark table markers")
    readme.write_text(text[:start] + render(report) + text[end + len(END):], encoding="utf-8")


if __name__ == "__main__":
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else (
        Path(__file__).resolve().parent / "results" / "latest.json")
    rewrite(README, json.loads(source.read_text(encoding="utf-8")))
    print(f"README table rewritten from {source}")
