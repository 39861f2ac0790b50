"""Days of the week and office hours in words, in any language the catalogue has: 'Mon-Sat
09:00-21:00', 周一至周六 09:00-21:00. The staff console (shifts, the flow page) and the
hotline's own SMS answers say them alike."""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app

from hotline.translations import NP_, translate
from ivr_flows.loader import default_flow
from ivr_flows.model import OfficeHours

SHIFT_DAYS = (NP_("shift", "Mon"), NP_("shift", "Tue"), NP_("shift", "Wed"),
              NP_("shift", "Thu"), NP_("shift", "Fri"), NP_("shift", "Sat"),
              NP_("shift", "Sun"))
# TRANSLATORS: days in a row of a weekly shift ("Mon-Fri", 周一至周五); the form reads - 至 到.
DAY_RUN = NP_("shift", "%(first)s-%(last)s")
# TRANSLATORS: a weekly shift on all seven days; the form reads every day, daily, 每天, 每日.
EVERY_DAY = NP_("shift", "every day")
# TRANSLATORS: between the days of one weekly shift ("Sat, Sun"); the form reads , 、 ， and /.
DAY_SEPARATOR = NP_("shift", ", ")
# TRANSLATORS: office hours round the clock on their days ("every day, all day", 每天全天).
ALL_DAY = NP_("shift", "all day")

# (context, msgid) -> the words in the reader's language.
Words = Callable[[str, str], str]


def in_language(lang: str) -> Words:
    """The catalogue's words in `lang`, outside any request (an SMS answer)."""
    return lambda context, msgid: translate(lang, msgid, context)


def days_words(days: list[int], say: Words) -> str:
    """Days 0-6 (Monday first): 'Mon-Fri', 'Sat, Sun', 'every day' (周一至周五, 周六、周日)."""
    if sorted(days) == list(range(7)):
        return say("shift", EVERY_DAY)
    runs: list[list[int]] = []
    for day in sorted(days):
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    names = [say("shift", SHIFT_DAYS[d]) for d in range(7)]
    parts = [[say("shift", DAY_RUN) % {"first": names[run[0]], "last": names[run[-1]]}]
             if len(run) > 2 else [names[d] for d in run] for run in runs]
    return say("shift", DAY_SEPARATOR).join(p for part in parts for p in part)


def hours_words(hours: OfficeHours, say: Words) -> str:
    """When the office answers: 'Mon-Sat 09:00-21:00', 'every day all day'."""
    times = say("shift", ALL_DAY) if hours.open == hours.close else (
        f"{hours.open:%H:%M}-{hours.close:%H:%M}")
    return f"{days_words(list(hours.days), say)} {times}"


def office_hours() -> OfficeHours:
    """When volunteers answer the phone: the centre's OFFICE_HOURS when set, else the call
    flow's own."""
    hours: OfficeHours | None = current_app.config.get("OFFICE_HOURS")
    return hours or default_flow().office_hours
