"""`hotline simulate call`: a scripted call through the real webhooks on a throwaway database."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from hotline.cli.main import main


def test_scripted_call_prints_what_is_said_and_the_case() -> None:
    # Mandarin, work injury, place, home 湖南, employer, when, where, in hospital, the employer
    # does not pay, what treatment cost, no claim filed, confirmed; then two silences at the
    # voicemail and words.
    keys = "1,2,广东深圳,3,某某建筑公司,昨天,工地,1,2,3000,2,1,,,说明情况"
    result = CliRunner().invoke(main, ["simulate", "call", "--local", "--keys", keys])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "hotline: 您好，这里是工友热线。普通话请按1。"
    assert "caller (keys or words): 2" in lines
    assert any("您的案件编号是一、零、零、一" in line for line in lines)
    assert lines[-1].startswith("case 1001: injury urgent 广东深圳 employer=某某建筑公司 "
                                "amount=None months=None people=1")  # no wage questions
    assert " dialect=hunan " in lines[-1]  # home province key 3: 湖南
    assert lines[-1].endswith(" employer_pays_treatment=False in_hospital=True injured_on="
                              f"{shanghai_yesterday()} injury_claim_filed=False "
                              "injury_place=工地 medical_costs=3000")
    assert not any("多少钱" in line or "几个月" in line for line in lines)


def shanghai_yesterday() -> str:
    """Yesterday's date where the workers are, as the case keeps it."""
    return (datetime.now(ZoneInfo("Asia/Shanghai")).date() - timedelta(days=1)).isoformat()


def test_script_that_runs_out_is_a_hang_up_and_keeps_the_case() -> None:
    result = CliRunner().invoke(main, ["simulate", "call", "--local", "--keys", "1,1"])
    assert result.exit_code == 0, result.output
    assert "caller: (hangs up)" in result.output
    assert result.output.splitlines()[-1].startswith("case 1001: wages normal")


def test_without_a_running_demo_it_says_so_and_plays_locally(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    instance = tmp_path / "instance"
    instance.mkdir()
    # A demo killed with -9 leaves its state file behind: its URL no longer answers.
    (instance / "demo.json").write_text('{"url": "http://127.0.0.1:9"}')
    monkeypatch.setenv("HOTLINE_INSTANCE", str(instance))
    result = CliRunner().invoke(main, ["simulate", "call", "--keys", "1,1",
                                       "--from", "+8613700000001"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "(no demo running: playing against a throwaway in-process hotline)"
    assert lines[-1].startswith("case 1001: wages normal")


def test_simulate_sms_refuses_a_malformed_sender_before_sending() -> None:
    result = CliRunner().invoke(main, ["simulate", "sms", "--from", "abc", "你好"])
    assert result.exit_code == 2
    assert "--from" in result.output and "not a phone number" in result.output
