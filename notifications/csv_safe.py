"""Writing CSV that a spreadsheet cannot turn against the office that opens it.

Excel, LibreOffice and Google Sheets run a cell that starts with = + - @ (or a tab or carriage
return before one) as a formula: a worker's reply "=HYPERLINK(...)" or a campaign named
"@SUM(...)" in an export would run on a staff member's computer. Every CSV the project writes
goes through `safe_writer`, which prefixes such text cells with an apostrophe (OWASP's advice).
Plain numbers ("-12.50", "+8613800138000") are left as they are: a spreadsheet reads them as
numbers, which can call nothing, and phone columns stay usable for a later import.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import IO, Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def safe_cell(value: Any) -> Any:
    """The value as a spreadsheet will only ever show it (text that looks like a formula gets
    a leading apostrophe); numbers and None pass unchanged."""
    if not isinstance(value, str) or not value:
        return value
    if value.startswith(FORMULA_START) and not PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


class SafeWriter:
    """csv.writer with every cell passed through `safe_cell`."""

    def __init__(self, out: IO[str], **kwargs: Any) -> None:
        self._writer = csv.writer(out, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        """Write one row, neutralised."""
        return self._writer.writerow([safe_cell(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        """Write many rows (an iterator is streamed, not held), neutralised."""
        for row in rows:
            self.writerow(row)


def safe_writer(out: IO[str], **kwargs: Any) -> SafeWriter:
    """A CSV writer for anything a person may open in a spreadsheet."""
    return SafeWriter(out, **kwargs)
