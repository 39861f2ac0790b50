"""The read-only flows page: each flow file as a tree, with the `flows check` result."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from hotline.web.staff_flows import tree_rows, view_of
from ivr_flows.loader import FLOWS_DIR, check_all, default_flow
from tests.conftest import WebWorld
from tests.test_web_forms import logged_in


def test_flows_page_shows_tree_and_check_result(app: Flask, web_world: WebWorld) -> None:
    client, _ = logged_in(app, "staff_a")
    page = client.get("/staff/flows/?lang=en").get_data(as_text=True)
    flow = default_flow()
    assert "intake.yaml" in page and "flows check: OK" in page
    assert flow.node(flow.start).prompt["zh"] in page
    assert "2 → injury" in page  # a menu choice and where it leads
    assert not check_all(FLOWS_DIR)[1]


def test_every_node_is_drawn_once(app: Flask) -> None:
    flow = default_flow()
    expanded = [r.node_id for r in tree_rows(flow) if not r.repeat]
    assert sorted(expanded) == sorted(flow.nodes)


def test_broken_flow_shows_the_same_problems_as_flows_check(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nstart: hello\nnodes:\n  hello:\n    type: say\n"
                   "    prompt: {zh: 你好, en: hi}\n    next: nowhere\n  lost:\n    type: end\n",
                   encoding="utf-8")
    view = view_of(bad)
    assert view.problems == check_all(tmp_path)[1] and view.problems
    assert [n.id for n in view.unreachable] == ["lost"]
    assert any(r.node is None and r.node_id == "nowhere" for r in view.rows)
    assert view_of(tmp_path / "missing.yaml").problems[0].endswith("cannot read: " + str(
        FileNotFoundError(2, "No such file or directory", str(tmp_path / "missing.yaml"))))


def test_flows_page_is_staff_only(app: Flask, web_world: WebWorld) -> None:
    vol, _ = logged_in(app, "vol_a")
    assert vol.get("/staff/flows/").status_code == 404
    assert app.test_client().get("/staff/flows/").status_code == 302
