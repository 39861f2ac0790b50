"""Flow files: every shipped flow loads; broken flows are reported as `file:node: problem`."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from hotline.cli.main import main
from ivr_flows.loader import FLOWS_DIR, FlowError, check_all, load_flow


def test_every_shipped_flow_loads() -> None:
    files, problems = check_all(FLOWS_DIR)
    assert files and problems == []
    for path in files:
        flow = load_flow(path)
        assert flow.start in flow.nodes


def base_flow() -> dict:
    """A small valid flow to break in one place per test case."""
    return {
        "name": "mini", "languages": ["zh", "en"], "start": "ask", "fallback": "bye",
        "nodes": {
            "ask": {"type": "menu", "field": "category", "next": "amount",
                    "prompt": {"zh": "什么问题？", "en": "What problem?"},
                    "choices": [
                        {"key": 1, "value": "wages", "label": {"zh": "欠薪", "en": "wages"}},
                        {"key": 2, "value": "injury", "label": {"zh": "工伤", "en": "injury"}},
                    ]},
            "amount": {"type": "number", "field": "amount_owed", "min": 0, "max": 10,
                       "next": "bye", "prompt": {"zh": "多少钱？", "en": "How much?"}},
            "bye": {"type": "end", "prompt": {"zh": "再见{case_number}", "en": "Bye"}},
        },
    }


def breaks(path: list, value: object) -> dict:
    """base_flow() with the item at `path` replaced by `value` (None deletes it)."""
    flow = base_flow()
    target = flow
    for key in path[:-1]:
        target = target[key]
    if value is None:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return flow


def with_branch(on: str) -> dict:
    """base_flow() where the menu leads to a branch on `on`."""
    flow = breaks(["nodes", "ask", "next"], "b")
    flow["nodes"]["b"] = {"type": "branch", "on": on, "default": "amount"}
    return flow


def long_name(name: str) -> dict:
    """base_flow() whose menu leads to a say node called `name`."""
    flow = breaks(["nodes", "ask", "next"], name)
    flow["nodes"][name] = {"type": "say", "prompt": {"zh": "好的。", "en": "OK."},
                           "next": "amount"}
    return flow


def yes_no_menu(values: list[str]) -> dict:
    """base_flow() whose second question is a yes/no menu with these choice values."""
    choices = [{"key": i + 1, "value": v, "label": {"zh": v, "en": v}}
               for i, v in enumerate(values)]
    return breaks(["nodes", "amount"], {"type": "menu", "field": "in_hospital", "next": "bye",
                                        "prompt": {"zh": "住院吗？", "en": "In hospital?"},
                                        "choices": choices})


BROKEN = [
    ("dangling next", breaks(["nodes", "amount", "next"], "nowhere"),
     "amount: target 'nowhere' does not exist"),
    ("dangling goto", breaks(["nodes", "ask", "choices", 0, "goto"], "gone"),
     "ask: target 'gone' does not exist"),
    ("unreachable node", breaks(["nodes", "orphan"], {"type": "end",
                                                     "prompt": {"zh": "a", "en": "b"}}),
     "orphan: unreachable from start 'ask'"),
    ("missing translation", breaks(["nodes", "amount", "prompt"], {"zh": "多少钱？"}),
     "amount: prompt missing translation 'en'"),
    ("missing label translation", breaks(["nodes", "ask", "choices", 1, "label"], {"zh": "工伤"}),
     "ask: choice 2 label missing translation 'en'"),
    ("duplicate digit", breaks(["nodes", "ask", "choices", 1, "key"], 1),
     "ask: duplicate digit '1'"),
    ("field that does not exist", breaks(["nodes", "amount", "field"], "salary"),
     "amount: field 'salary' does not exist"),
    ("menu value the field cannot take", breaks(["nodes", "ask", "choices", 0, "value"], "money"),
     "ask: choice 1 value 'money' is not valid for 'category'"),
    ("unknown type", breaks(["nodes", "amount", "type"], "dance"),
     "amount: unknown type 'dance'"),
    ("unknown placeholder", breaks(["nodes", "bye", "prompt"], {"zh": "{salary}", "en": "x"}),
     "bye: prompt (zh) uses unknown placeholder {salary}"),
    ("missing next", breaks(["nodes", "amount", "next"], None), "amount: needs 'next'"),
    ("start missing", breaks(["start"], "nope"), "-: start node 'nope' does not exist"),
    ("min above max", breaks(["nodes", "amount", "min"], 99), "amount: min 99 is above max 10"),
    ("branch on nonsense", with_branch("weather"), "b: branch 'on' 'weather' is not"),
    ("branch on unknown field", with_branch("answer:salary"), "b: branch on unknown field"),
    ("keywords in one language only",
     breaks(["nodes", "ask", "choices", 0, "keywords"], {"zh": ["工资"]}),
     "ask: choice 1 keywords missing translation 'en'"),
    ("speech hints in one language only",
     breaks(["nodes", "ask", "choices", 1, "speech"], {"en": ["hurt at work"], "zh": []}),
     "ask: choice 2 speech missing translation 'zh'"),
    ("date node on a text field", breaks(["nodes", "amount"], {
        "type": "date", "field": "employer", "next": "bye",
        "prompt": {"zh": "哪天？", "en": "When?"}}),
     "amount: field 'employer' takes a text, not a date answer"),
    ("date node without a field", breaks(["nodes", "amount"], {
        "type": "date", "next": "bye", "prompt": {"zh": "哪天？", "en": "When?"}}),
     "amount: a date node needs a 'field'"),
    ("number node on a date field", breaks(["nodes", "amount", "field"], "injured_on"),
     "amount: field 'injured_on' takes a date, not a number answer"),
    ("text node on a yes/no field", breaks(["nodes", "amount"], {
        "type": "text", "field": "in_hospital", "next": "bye", "prompt": {"zh": "?", "en": "?"}}),
     "amount: field 'in_hospital' takes a yesno, not a text answer"),
    ("yes/no menu without a no", yes_no_menu(["yes", "maybe"]),
     "amount: choice 2 value 'maybe' is not valid for 'in_hospital'"),
    ("yes/no menu with two yeses", yes_no_menu(["yes", "yes"]),
     "amount: yes/no menu 'in_hospital' needs one 'yes' and one 'no' choice (has yes, yes)"),
    ("redo without a goto", breaks(["nodes", "ask", "choices", 1, "redo"], True),
     "ask: choice 2 redoes the questions but has no 'goto'"),
    ("a name too long to name its templates", long_name("contract_still_employed"),
     "contract_still_employed: name longer than 20 characters"),
]


@pytest.mark.parametrize("name,data,expected", BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_flow_names_file_node_and_problem(tmp_path: Path, name: str, data: dict,
                                                 expected: str) -> None:
    path = tmp_path / "mini.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(FlowError) as err:
        load_flow(path)
    assert any(p.startswith(f"{path}:") for p in err.value.problems)
    assert any(expected in p for p in err.value.problems), err.value.problems


def test_valid_yes_no_menu_and_date_node_load(tmp_path: Path) -> None:
    data = yes_no_menu(["yes", "no"])
    data["nodes"]["amount"]["next"] = "when"
    data["nodes"]["when"] = {"type": "date", "field": "injured_on", "next": "bye",
                             "prompt": {"zh": "哪天？", "en": "When?"}}
    path = tmp_path / "mini.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    flow = load_flow(path)
    assert flow.nodes["when"].waits and flow.fallback_for(flow.nodes["when"]) == "bye"


def test_valid_mini_flow_loads(tmp_path: Path) -> None:
    path = tmp_path / "mini.yaml"
    path.write_text(yaml.safe_dump(base_flow(), allow_unicode=True), encoding="utf-8")
    assert load_flow(path).nodes["ask"].choices[1].value == "injury"


def test_unreadable_yaml_is_a_flow_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("nodes: [unclosed", encoding="utf-8")
    with pytest.raises(FlowError, match=r"bad.yaml:-: cannot read"):
        load_flow(path)


def test_cli_check_prints_problems_and_fails(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump(base_flow(), allow_unicode=True), encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(breaks(["nodes", "ask", "choices", 1, "key"], 1),
                                  allow_unicode=True), encoding="utf-8")
    runner = CliRunner()
    ok = runner.invoke(main, ["flows", "check", str(good)])
    assert ok.exit_code == 0 and "1 flow file(s) OK" in ok.output
    failed = runner.invoke(main, ["flows", "check", str(tmp_path)])
    assert failed.exit_code == 1
    assert f"{bad}:ask: duplicate digit '1'" in failed.output.splitlines()


def test_cli_check_default_flows() -> None:
    result = CliRunner().invoke(main, ["flows", "check"])
    assert result.exit_code == 0, result.output


DUPLICATES = [
    ("node id", "  amount:\n    type: end\n    prompt: {zh: 再见, en: Bye}\n",
     "amount: duplicate node id 'amount'"),
    ("key in a node", "    next: amount\n", "ask: duplicate key 'next'"),
]


@pytest.mark.parametrize("name,extra,expected", DUPLICATES, ids=[d[0] for d in DUPLICATES])
def test_duplicate_yaml_keys_are_an_error_not_a_silent_merge(tmp_path: Path, name: str,
                                                              extra: str, expected: str) -> None:
    text = yaml.safe_dump(base_flow(), allow_unicode=True, sort_keys=False)
    if name == "key in a node":  # inside 'ask', right before its prompt
        ask = "    prompt:\n      zh: 什么问题？"
        text = text.replace(ask, extra + ask)
    else:
        text += extra
    path = tmp_path / "dup.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FlowError) as err:
        load_flow(path)
    [problem] = err.value.problems
    assert problem.startswith(f"{path}:{expected} (lines "), (text, problem)
