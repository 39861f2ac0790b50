"""`python -m benchmarks.datasize --scale 0.01`: the console at a centre's three-year size.

For each database: a fresh migrated one gets four offices, their volunteers and one login per
role; every console page is timed empty; the generator fills three years at `--scale` (1.0 =
the real centre) in bulk; every page is timed again, and campaign audiences are counted and
materialised. Prints one table (median / max ms and statements per request, empty vs full)
and writes the numbers as JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from benchmarks.datasize_generate import generate, sizes
from benchmarks.datasize_pages import (
    PAGES,
    existing_base,
    seed_base,
    time_audiences,
    time_pages,
)
from benchmarks.servers import postgres_database, redis_server, sqlite_database
from benchmarks.webhook import pg_server_url
from hotline import create_app

RESULTS = Path(__file__).resolve().parent / "results" / "datasize.json"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.datasize", description=__doc__)
    parser.add_argument("--scale", type=float, default=0.01,
                        help="multiple of the three-year centre (1.0 = 55,000 cases)")
    parser.add_argument("--small", action="store_true", help="CI smoke: --scale 0.01, 2 runs")
    parser.add_argument("--databases", "--db", default="postgresql,sqlite",
                        help="comma-separated subset of postgresql,sqlite")
    parser.add_argument("--repeat", type=int, default=5, help="timed requests per page")
    parser.add_argument("--json", type=Path, default=RESULTS, help="where to write results")
    parser.add_argument("--url", help="only time the pages of a database this command "
                        "filled before (e.g. the same data before and after a code change)")
    args = parser.parse_args(argv)
    if args.small:
        args.scale, args.repeat = 0.01, 2
    return args


def run_database(name: str, url: str, redis_url: str, scale: float, repeat: int,
                 instance: str) -> dict[str, Any]:
    """Empty pages, generation, full pages and audiences on one database."""
    app = create_app({"DATABASE_URL": url, "REDIS_URL": redis_url, "SECRET_KEY": "bench",
                      "HOTLINE_PROVIDER": "console", "TESTING": True,
                      "WTF_CSRF_ENABLED": True}, instance_path=instance)
    base = seed_base(app)
    empty = time_pages(app, base, repeat)
    started = time.perf_counter()
    with app.app_context():
        from hotline.infra.db import get_db

        counts = generate(get_db().engine, base, scale)
    generation_s = round(time.perf_counter() - started, 1)
    print(f"[{name}] generated {sum(counts.rows.values()):,} rows in {generation_s} s: "
          + ", ".join(f"{t} {n:,}" for t, n in counts.rows.items()), flush=True)
    full = time_pages(app, base, repeat)
    audiences = time_audiences(app, base)
    app.extensions["db"].engine.dispose()
    return {"generation_s": generation_s, "rows": counts.rows, "audiences_ms": audiences,
            "pages": {role: {path: {"empty": asdict(empty[role][path]),
                                    "full": asdict(full[role][path])}
                             for path in PAGES[role]} for role in PAGES}}


def print_table(results: dict[str, Any]) -> None:
    """role | page | per database: empty and full median / max ms (statements)."""
    for db, result in results.items():
        print(f"\n{db}: {sum(result['rows'].values()):,} rows generated in "
              f"{result['generation_s']} s")
        print(f"{'role':<10} {'page':<42} {'empty ms (stmts)':>18} "
              f"{'full median/max ms (stmts)':>28}")
        for role, pages in result["pages"].items():
            for path, r in pages.items():
                e, f = r["empty"], r["full"]
                flag = "" if f["status"] < 400 else f" [{f['status']}]"
                print(f"{role:<10} {path:<42} {e['median_ms']:>10} ({e['statements']:>3})   "
                      f"{f['median_ms']:>8} / {f['max_ms']:<8} ({f['statements']:>3}){flag}")
        for what, ms in result["audiences_ms"].items():
            print(f"audience: {what}: {ms} ms")


def time_existing(args: argparse.Namespace) -> int:
    """Time every page (and the audiences) of an already filled database."""
    with redis_server() as redis_url, tempfile.TemporaryDirectory(prefix="datasize-") as tmp:
        app = create_app({"DATABASE_URL": args.url, "REDIS_URL": redis_url,
                          "SECRET_KEY": "bench", "HOTLINE_PROVIDER": "console",
                          "TESTING": True}, instance_path=tmp)
        base = existing_base(app)
        pages = time_pages(app, base, args.repeat)
        audiences = time_audiences(app, base)
        app.extensions["db"].engine.dispose()
    for role, timed in pages.items():
        for path, t in timed.items():
            flag = "" if t.status < 400 else f" [{t.status}]"
            print(f"{role:<10} {path:<42} {t.median_ms:>8} / {t.max_ms:<8} "
                  f"({t.statements:>3}){flag}")
    for what, ms in audiences.items():
        print(f"audience: {what}: {ms} ms")
    report = {"url": "given", "repeat": args.repeat, "audiences_ms": audiences,
              "pages": {role: {path: asdict(t) for path, t in timed.items()}
                        for role, timed in pages.items()}}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run every selected database; print the table; write the JSON."""
    args = parse_args(argv)
    if args.url:
        return time_existing(args)
    results: dict[str, Any] = {}
    with redis_server() as redis_url, tempfile.TemporaryDirectory(prefix="datasize-") as tmp:
        for name in args.databases.split(","):
            context = postgres_database(pg_server_url()) if name == "postgresql" \
                else sqlite_database(Path(tmp))
            with context as url:
                results[name] = run_database(name, url, redis_url, args.scale, args.repeat,
                                             str(Path(tmp) / f"instance-{name}"))
    print_table(results)
    report = {"scale": args.scale, "sizes": sizes(args.scale), "repeat": args.repeat,
              "results": results}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"results written to {args.json}")
    print(json.dumps({"scale": args.scale, "databases": list(results)}))
    broken = [f"{db} {role} {path}" for db, result in results.items()
              for role, pages in result["pages"].items() for path, r in pages.items()
              if r["full"]["status"] >= 500 or r["empty"]["status"] >= 500]
    if broken:
        print("pages that failed: " + ", ".join(broken), file=sys.stderr)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
