"""Staff console: a read-only view of each intake flow as a tree, with `flows check` results."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from flask import Blueprint, render_template

from hotline.web.staff_volunteers import staff_or_404
from ivr_flows import loader
from ivr_flows.model import Flow, Node

bp = Blueprint("staff_flows", __name__, url_prefix="/staff/flows")
bp.before_request(staff_or_404)


@dataclass(frozen=True)
class TreeRow:
    """One line of the tree: a node reached through an edge, at a depth; repeats link back."""

    depth: int
    edge: str  # how we got here: "next", "1 → wages", "office_hours=true", "" for the start
    node_id: str
    node: Node | None  # None: the edge points at a node that does not exist
    repeat: bool  # already drawn above: shown as a link, not expanded again


@dataclass(frozen=True)
class FlowView:
    """A flow file as shown: its tree, nodes not reachable from start, and its problems."""

    filename: str
    flow: Flow | None
    rows: list[TreeRow]
    unreachable: list[Node]
    problems: list[str]


def edges(node: Node) -> list[tuple[str, str]]:
    """(label, target) for every way out of `node`, in a reading order."""
    out = [(f"{c.key} → {c.value}" if c.key else c.value, c.goto) for c in node.choices]
    out += [(f"{node.on}={value}", target) for value, target in node.cases.items()]
    out += [("answered", node.answered), ("default", node.default), ("next", node.next),
            ("fallback", node.fallback)]
    return [(label, target) for label, target in out if target]


def tree_rows(flow: Flow) -> list[TreeRow]:
    """The flow depth-first from its start node; each node expanded once."""
    rows: list[TreeRow] = []
    seen: set[str] = set()
    stack: list[tuple[int, str, str]] = [(0, "", flow.start)]
    while stack:
        depth, edge, node_id = stack.pop()
        node = flow.nodes.get(node_id)
        rows.append(TreeRow(depth, edge, node_id, node, node_id in seen))
        if node is None or node_id in seen:
            continue
        seen.add(node_id)
        # Pushed in reverse so the first choice is drawn first.
        stack.extend((depth + 1, label, target) for label, target in reversed(edges(node)))
    return rows


def view_of(path: Path) -> FlowView:
    """Parse and validate one flow file exactly as `hotline flows check` does."""
    try:
        flow = loader.parse_flow(yaml.safe_load(path.read_text(encoding="utf-8")), str(path))
    except (OSError, yaml.YAMLError) as exc:
        return FlowView(path.name, None, [], [], [f"{path}:-: cannot read: {exc}"])
    except loader.FlowError as exc:
        return FlowView(path.name, None, [], [], exc.problems)
    rows = tree_rows(flow)
    drawn = {r.node_id for r in rows}
    unreachable = [n for n in flow.nodes.values() if n.id not in drawn]
    return FlowView(path.name, flow, rows, unreachable, loader.validate(flow))


def flow_files(directory: Path) -> list[Path]:
    """The flow files `flows check` reads by default, in its order."""
    return sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml"))


@bp.get("/")
def flows() -> Any:
    """Every flow file as a readable tree, each with its validation result."""
    views = [view_of(path) for path in flow_files(loader.FLOWS_DIR)]
    return render_template("staff/flows.html", views=views)
