"""Case-to-offer latency while a campaign fans out on the same machine and workers.

The realistic hard case: an injured worker calls while a policy notice goes to 100,000 people.
Runs `benchmarks.routing_latency` on PostgreSQL with `--campaign 100000` (`--small`: 1,000, for
the CI smoke); one case in five is urgent and reported apart. The campaign has its own
worker, as in the README's commands (`--shared-worker`: one worker for every queue).
Goals: case → offer p95 < 300 ms at 20 cases/s, an urgent case's first offer p95 < 150 ms.

    .venv/bin/python -m benchmarks.routing_during_campaign [--small] [--seconds 30]
                                                           [--urgent-worker] [--json PATH]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

FULL_CAMPAIGN, SMALL_CAMPAIGN = 100_000, 1_000


def main() -> None:
    """Parse the options and hand over to the routing-latency benchmark."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", action="store_true", help="CI smoke: a 1,000-recipient campaign")
    ap.add_argument("--seconds", type=float, default=30,
                    help="routing window (30 s: 600 cases, 120 of them urgent)")
    ap.add_argument("--urgent-worker", action="store_true")
    ap.add_argument("--shared-worker", action="store_true",
                    help="one worker for every queue (campaign chunks included)")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    argv = ["--db", "postgresql", "--seconds", str(args.seconds), "--campaign",
            str(SMALL_CAMPAIGN if args.small else FULL_CAMPAIGN)]
    argv += ["--urgent-worker"] if args.urgent_worker else []
    argv += ["--shared-worker"] if args.shared_worker else []
    argv += ["--json", str(args.json)] if args.json else []
    from benchmarks import routing_latency

    sys.argv = ["benchmarks.routing_latency", *argv]
    routing_latency.main()


if __name__ == "__main__":
    main()
