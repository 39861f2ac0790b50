"""Legal deadlines: the rule table per category and state, date boundaries, the rules file's
checks, reminders sent once (volunteer or staff), passed deadlines, and the offer SMS note."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from hotline.deadline_reminders import remind_legal_deadlines
from hotline.legal_clocks import (
    LegalRulesError,
    add_period,
    deadlines_for,
    load_rules,
    local_today,
    nearest_deadline,
    offer_note,
    parse_rules,
)
from hotline.replies import offer_text
from hotline.web.event_text import zh_event
from models import Case, CaseCategory, CaseStatus, EventKind, Purpose
from notifications.segments import count_segments
from tests.test_routing_support import (
    add_case,
    add_volunteer,
    case_state,
    events,
    outbound,
    set_case,
    volunteer_phone,
)

TODAY = date(2026, 6, 15)
STAFF = "+8613700000088"


def case_of(category: str, details: Any, created: date = date(2026, 1, 5)) -> Case:
    """An unsaved case: deadlines_for reads only category, details and created_at."""
    return Case(category=CaseCategory(category), details=details, number=1234, people_affected=1,
                created_at=datetime(created.year, created.month, created.day, tzinfo=UTC))


def states(category: str, details: Any, today: date = TODAY) -> list[tuple[str, str, Any, Any]]:
    return [(d.rule_id, d.state, d.due, d.days_left)
            for d in deadlines_for(case_of(category, details), today)]


@pytest.mark.parametrize(("category", "details", "expected"), [
    # contract: one year from the dismissal (劳动争议调解仲裁法 第二十七条 第一款)
    ("contract", {"dismissed_on": "2025-07-10"},
     [("arbitration_dismissal", "running", date(2026, 7, 10), 25)]),
    ("contract", {"dismissed_on": "2025-06-15"},  # due today: still running, 0 days
     [("arbitration_dismissal", "running", TODAY, 0)]),
    ("contract", {"dismissed_on": "2025-06-14"},  # passed yesterday
     [("arbitration_dismissal", "passed", date(2026, 6, 14), -1)]),
    ("contract", {}, [("arbitration_dismissal", "needs_info", None, None)]),
    ("contract", {"dismissed_on": "上个月"}, [("arbitration_dismissal", "needs_info", None, None)]),
    ("contract", {"dismissed_on": "2025-02-30"},
     [("arbitration_dismissal", "needs_info", None, None)]),
    ("contract", {"dismissed_on": 20250710}, [("arbitration_dismissal", "needs_info", None, None)]),
    ("contract", None, [("arbitration_dismissal", "needs_info", None, None)]),
    ("contract", "garbage", [("arbitration_dismissal", "needs_info", None, None)]),
    # wages and collective: not running while employed (第二十七条 第四款), then from leaving
    ("wages", {"still_employed": True}, [("arbitration_wages", "not_running", None, None)]),
    ("collective", {"still_employed": True}, [("arbitration_wages", "not_running", None, None)]),
    ("wages", {"still_employed": False, "left_on": "2025-08-01"},
     [("arbitration_wages", "running", date(2026, 8, 1), 47)]),
    ("wages", {"left_on": "2025-05-01"},
     [("arbitration_wages", "passed", date(2026, 5, 1), -45)]),
    ("wages", {"still_employed": False}, [("arbitration_wages", "needs_info", None, None)]),
    ("wages", {}, [("arbitration_wages", "needs_info", None, None)]),
    ("wages", {"still_employed": False, "left_on": "去年底"},
     [("arbitration_wages", "needs_info", None, None)]),
    # a month the worker gave without a day: from its first day (never later than the law's)
    ("wages", {"still_employed": False, "left_on": "2025-08"},
     [("arbitration_wages", "running", date(2026, 8, 1), 47)]),
    ("contract", {"dismissed_on": "2025-13"},
     [("arbitration_dismissal", "needs_info", None, None)]),
    # a date of leaving outranks a stale "still employed"
    ("wages", {"still_employed": True, "left_on": "2025-08-01"},
     [("arbitration_wages", "running", date(2026, 8, 1), 47)]),
    # injury: the worker's year (工伤保险条例 第十七条 第二款) and the employer's 30 days (第一款)
    ("injury", {"injured_on": "2026-06-01"},
     [("injury_claim_worker", "running", date(2027, 6, 1), 351),
      ("injury_claim_employer", "running", date(2026, 7, 1), 16)]),
    ("injury", {"injured_on": "2026-05-16"},
     [("injury_claim_worker", "running", date(2027, 5, 16), 335),
      ("injury_claim_employer", "running", TODAY, 0)]),
    ("injury", {"injured_on": "2026-05-15"},
     [("injury_claim_worker", "running", date(2027, 5, 15), 334),
      ("injury_claim_employer", "passed", date(2026, 6, 14), -1)]),
    ("injury", {"injured_on": "2026-05-15", "injury_claim_filed": True},
     [("injury_claim_worker", "done", None, None),
      ("injury_claim_employer", "passed", date(2026, 6, 14), -1)]),
    ("injury", {"injury_claim_filed": False},
     [("injury_claim_worker", "needs_info", None, None),
      ("injury_claim_employer", "needs_info", None, None)]),
    # social insurance: from when the dispute arose
    ("social_insurance", {"insurance_kind": "养老"},
     [("arbitration_social_insurance", "needs_info", None, None)]),
    ("social_insurance", {"dispute_on": "2026-03-01"},
     [("arbitration_social_insurance", "running", date(2027, 3, 1), 259)]),
    # no rule for these
    ("other_legal", {"dismissed_on": "2025-07-10"}, []),
    ("unknown", {}, []),
])
def test_deadlines_per_category_and_state(category: str, details: Any,
                                          expected: list[tuple[str, str, Any, Any]]) -> None:
    assert states(category, details) == expected


def test_a_leap_day_plus_one_year_ends_on_the_last_day_of_february() -> None:
    assert add_period(date(2024, 2, 29), years=1) == date(2025, 2, 28)
    assert add_period(date(2024, 1, 31), months=1) == date(2024, 2, 29)
    assert add_period(date(2023, 2, 28), years=1) == date(2024, 2, 28)
    assert states("injury", {"injured_on": "2024-02-29"}, date(2025, 2, 28))[0] == (
        "injury_claim_worker", "running", date(2025, 2, 28), 0)
    assert states("injury", {"injured_on": "2024-02-29"}, date(2025, 3, 1))[0][1] == "passed"


def test_a_deadline_reads_in_both_languages_and_cites_its_source() -> None:
    [wages] = deadlines_for(case_of("wages", {"left_on": "2025-08-01"}), TODAY)
    assert wages.source == "《中华人民共和国劳动争议调解仲裁法》第二十七条 第四款"
    assert "劳动关系终止的" in wages.source_text
    assert wages.title("zh") == "欠薪劳动仲裁时效" and "arbitration" in wages.title("en")
    assert wages.summary("zh") == "2026-08-01届满，还剩47天"
    assert wages.summary("en") == "ends 2026-08-01, 47 days left"
    assert "一年" in wages.explanation("zh") and wages.question("zh") is None
    [unknown] = deadlines_for(case_of("wages", {"still_employed": False}), TODAY)
    assert "哪天离开" in (unknown.question("zh") or "")
    assert "left" in (unknown.question("en") or "") and unknown.summary("zh").startswith("需要")
    [employed] = deadlines_for(case_of("wages", {"still_employed": True}), TODAY)
    assert employed.summary("zh") == "在职期间不计算时效"


def test_the_nearest_deadline_is_the_workers_own_and_running() -> None:
    injury = case_of("injury", {"injured_on": "2026-06-01"})
    nearest = nearest_deadline(injury, TODAY)  # the employer's 30 days end sooner: not it
    assert len(set(deadlines_for(injury, TODAY))) == 2  # frozen values: usable in sets
    assert nearest is not None and nearest.rule_id == "injury_claim_worker"
    assert nearest_deadline(case_of("wages", {"still_employed": True}), TODAY) is None
    assert nearest_deadline(case_of("contract", {"dismissed_on": "2025-01-01"}), TODAY) is None


GOOD_RULE = """
rules:
  - id: test_rule
    categories: [wages]
    starts: {date_field: left_on}
    duration: 1 year
    remind_days: [30, 7]
    title: limit
    short: limit
    explanation: explained
    needs_info: ask
    source: {law: 某法, article: 第一条, text: 条文}
"""


@pytest.mark.parametrize(("change", "complaint"), [
    (("duration: 1 year", "duraton: 1 year"), "'test_rule': unknown field(s) duraton"),
    (("duration: 1 year", "duration: 1 fortnight"), "'test_rule': duration '1 fortnight'"),
    (("duration: 1 year", "duration: 0 days"), "'test_rule': duration"),
    (("[wages]", "[wagez]"), "'test_rule': 'categories'"),
    (("{date_field: left_on}", "{date_field: Left On}"), "'test_rule': 'starts'"),
    (("[30, 7]", "[30, soon]"), "'test_rule': 'remind_days'"),
    # texts are English message ids, translated by the catalogues: two languages here are refused
    (("title: limit", "title: {zh: 时效, en: limit}"), "'test_rule': 'title' needs a non-empty "
                                                      "English text"),
    (("title: limit", "title: ' '"), "'test_rule': 'title'"),
    (("text: 条文", "txt: 条文"), "'test_rule': 'source'"),
    (("    explanation: explained\n", ""), "missing field(s) explanation"),
])
def test_a_wrong_rules_file_is_a_clear_error_naming_the_rule(change: tuple[str, str],
                                                             complaint: str) -> None:
    assert parse_rules(GOOD_RULE)[0].years == 1
    with pytest.raises(LegalRulesError, match=complaint.replace("(", r"\(").replace(")", r"\)")):
        parse_rules(GOOD_RULE.replace(*change))


def test_the_shipped_rules_load() -> None:
    rules = {r.id: r for r in load_rules()}
    assert rules["injury_claim_employer"].informational
    assert rules["injury_claim_employer"].days == 30
    assert all(r.source["text"] for r in rules.values())


# --- offer SMS --------------------------------------------------------------------------

def close_case(days_left: int, lang_place: str = "东莞") -> Case:
    """A contract case whose arbitration deadline is `days_left` days from the hotline's today."""
    dismissed = add_period(local_today(), years=-1) + timedelta(days=days_left)
    case = case_of("contract", {"dismissed_on": dismissed.isoformat()})
    case.work_city, case.people_affected, case.amount_owed = lang_place, 12, None
    return case


@pytest.mark.parametrize(("days", "zh", "en"), [
    (23, "仲裁时效剩23天", "arbitration deadline in 23 days"),
    (60, "仲裁时效剩60天", "arbitration deadline in 60 days"),
    (0, "仲裁时效今天届满", "arbitration deadline today"),
])
def test_the_offer_names_a_close_deadline_and_stays_within_two_sms(days: int, zh: str,
                                                                   en: str) -> None:
    case = close_case(days)
    chinese, english = offer_text(case, "zh"), offer_text(case, "en")
    assert zh in chinese and chinese.endswith("回复 Y1234 接受 N1234 拒绝"), chinese
    assert en in english and english.endswith("N1234 to decline"), english
    for text in (chinese, english):  # the Chinese city makes the English one UCS-2
        assert count_segments(text).segments <= 2, text


def test_the_offer_leaves_out_a_far_or_missing_deadline() -> None:
    assert "时效" not in offer_text(close_case(61), "zh")
    assert "deadline" not in offer_text(case_of("wages", {"still_employed": True}), "en")
    assert offer_note(close_case(10), "zh", "长" * 130) == ""  # would make a third SMS


# --- reminders (both databases) -----------------------------------------------------------

NOW = datetime(2026, 6, 15, 3, 0, tzinfo=UTC)  # 11:00 in China: the same day


def left_for(days_left: int, today: date = TODAY) -> str:
    """left_on putting the wages deadline `days_left` days after `today`."""
    return (add_period(today, years=-1) + timedelta(days=days_left)).isoformat()


def held_case(details: dict[str, Any], **fields: Any) -> tuple[int, int, str]:
    """A wages case assigned to a fresh volunteer: (case id, number, volunteer phone)."""
    vid = add_volunteer()
    case_id, number = add_case(details=details, created_at=NOW - timedelta(days=60), **fields)
    set_case(case_id, assigned_volunteer_id=vid, status=CaseStatus.ASSIGNED)
    return case_id, number, volunteer_phone(vid)


def test_reminders_go_once_per_lead_time(app: Flask) -> None:
    case_id, number, vphone = held_case({"still_employed": False, "left_on": left_for(30)})
    far_id, _n, far_phone = held_case({"left_on": left_for(100)})
    employed_id, _n, _p = held_case({"still_employed": True})
    bad_id, _n, _p = held_case({"left_on": "上个月"})  # malformed: needs info, no crash
    assert remind_legal_deadlines(NOW)["legal_reminded"] == 1
    assert remind_legal_deadlines(NOW + timedelta(hours=1))["legal_reminded"] == 0
    [sms] = outbound(Purpose.ALERT, to=vphone)
    assert sms.body == (f"提醒：案件#{number}的欠薪劳动仲裁时效还剩30天（2026-07-15届满），"
                        "请尽快帮工友申请。")
    assert count_segments(sms.body).segments <= 2
    [note] = [e for e in events(case_id, EventKind.NOTE) if "legal deadline" in e.text]
    assert "arbitration_wages" not in note.text and "(30 days left)" in note.text
    assert zh_event(note.text) is not None and "欠薪劳动仲裁时效" in (zh_event(note.text) or "")
    # 23 days later the 7-day reminder, once
    later = NOW + timedelta(days=23)
    assert remind_legal_deadlines(later)["legal_reminded"] == 1
    assert remind_legal_deadlines(later + timedelta(minutes=5))["legal_reminded"] == 0
    assert len(outbound(Purpose.ALERT, to=vphone)) == 2
    assert case_state(case_id).legal_reminders == {"arbitration_wages": {
        "due": (TODAY + timedelta(days=30)).isoformat(), "sent": [30, 7], "passed_alert": False}}
    assert outbound(Purpose.ALERT, to=far_phone) == []
    for other in (far_id, employed_id, bad_id):
        assert case_state(other).legal_reminders == {}


def test_a_case_arriving_inside_the_last_week_gets_one_reminder(app: Flask) -> None:
    case_id, _number, vphone = held_case({"left_on": left_for(0)})
    assert remind_legal_deadlines(NOW)["legal_reminded"] == 1
    assert remind_legal_deadlines(NOW)["legal_reminded"] == 0
    [sms] = outbound(Purpose.ALERT, to=vphone)
    assert sms.body.startswith("紧急：") and "今天" in sms.body
    assert case_state(case_id).legal_reminders["arbitration_wages"]["sent"] == [30, 7]


def test_staff_are_texted_when_nobody_holds_the_case(app: Flask) -> None:
    app.config.update(STAFF_NUMBERS=[STAFF])
    case_id, number = add_case(category=CaseCategory.INJURY, created_at=NOW - timedelta(days=5),
                               details={"injured_on": (TODAY - timedelta(days=335)).isoformat()})
    counts = remind_legal_deadlines(NOW)
    assert counts["legal_staff_reminded"] == 1 and counts["legal_reminded"] == 0
    assert remind_legal_deadlines(NOW + timedelta(hours=2))["legal_staff_reminded"] == 0
    [sms] = outbound(Purpose.ALERT, to=STAFF)
    assert f"案件#{number}无人负责" in sms.body and "还剩30天" in sms.body
    [note] = [e for e in events(case_id, EventKind.NOTE) if "legal deadline" in e.text]
    assert "sent to staff (nobody holds the case)" in note.text
    assert "工作人员" in (zh_event(note.text) or "")


def test_a_corrected_date_starts_its_reminders_afresh(app: Flask) -> None:
    case_id, _number, vphone = held_case({"left_on": left_for(30)})
    remind_legal_deadlines(NOW)
    set_case(case_id, details={"left_on": left_for(20)})  # staff corrected the date
    assert remind_legal_deadlines(NOW)["legal_reminded"] == 1
    assert len(outbound(Purpose.ALERT, to=vphone)) == 2


def test_a_deadline_that_passes_while_open_alerts_staff_once(app: Flask) -> None:
    app.config.update(STAFF_NUMBERS=[STAFF])
    case_id, number, _vphone = held_case({"left_on": left_for(-1)})  # ended yesterday
    # ended before the case reached us: shown on the case page, no alert
    late_id, _n = add_case(details={"left_on": left_for(-2)}, created_at=NOW)
    assert remind_legal_deadlines(NOW)["legal_passed"] == 1
    assert remind_legal_deadlines(NOW + timedelta(days=1))["legal_passed"] == 0
    [sms] = outbound(Purpose.ALERT, to=STAFF)
    assert f"案件#{number}的欠薪劳动仲裁时效已于" in sms.body
    assert case_state(case_id).legal_reminders["arbitration_wages"]["passed_alert"] is True
    assert case_state(late_id).legal_reminders == {}
    [note] = [e for e in events(case_id, EventKind.NOTE) if "legal deadline" in e.text]
    assert note.text.startswith("legal deadline passed while the case was open")


def test_finished_cases_are_not_reminded(app: Flask) -> None:
    case_id, _number, vphone = held_case({"left_on": left_for(7)})
    set_case(case_id, status=CaseStatus.RESOLVED)
    assert remind_legal_deadlines(NOW) == {"legal_reminded": 0, "legal_staff_reminded": 0,
                                           "legal_passed": 0}


def test_the_sweep_runs_the_legal_reminders(app: Flask) -> None:
    from hotline.sweeper import sweep_now

    _case_id, _number, vphone = held_case({"left_on": left_for(7, local_today())})
    counts = sweep_now()  # (the case is also idle: check_deadlines texts its own reminder)
    assert counts["legal_reminded"] == 1
    assert sweep_now().get("legal_reminded", 0) == 0
    legal = [m for m in outbound(Purpose.ALERT, to=vphone) if "仲裁时效" in m.body]
    assert len(legal) == 1 and "还剩7天" in legal[0].body


def test_an_english_volunteer_is_reminded_in_english_and_a_filed_claim_is_not(
        app: Flask) -> None:
    vid = add_volunteer(languages=["en", "zh"])
    case_id, number = add_case(category=CaseCategory.INJURY, created_at=NOW - timedelta(days=9),
                               details={"injured_on": (TODAY - timedelta(days=358)).isoformat()})
    set_case(case_id, assigned_volunteer_id=vid, status=CaseStatus.IN_PROGRESS)
    filed_id, _n = add_case(category=CaseCategory.INJURY, created_at=NOW - timedelta(days=9),
                            details={"injured_on": (TODAY - timedelta(days=358)).isoformat(),
                                     "injury_claim_filed": True})
    set_case(filed_id, assigned_volunteer_id=vid, status=CaseStatus.IN_PROGRESS)
    assert remind_legal_deadlines(NOW)["legal_reminded"] == 1
    [sms] = outbound(Purpose.ALERT, to=volunteer_phone(vid))
    assert sms.body == (f"Reminder: case #{number}: Work injury recognition claim (by the "
                        f"worker) ends {TODAY + timedelta(days=7)} (7 days left). Please help "
                        "the worker act in time.")
    assert sms.encoding == "GSM-7" and sms.segments <= 2
    assert case_state(filed_id).legal_reminders == {}
