"""Reading staff's CSV files safely: their encoding, and rows that are not what they seem.

Both importers (contacts for campaigns, volunteers for routing) go through here, so a file
from Excel in Chinese Windows (GB18030), an .xlsx renamed to .csv, or a quote left open that
would swallow every following line is a clear error, never a silent loss.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any


class UnreadableCsv(ValueError):
    """The file cannot be read as CSV text at all (wrong encoding, binary content)."""


def decode_csv(raw: bytes) -> str:
    """The file as text: UTF-8 (with or without BOM), else GB18030 as Excel in China saves it."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise UnreadableCsv("the file is neither UTF-8 nor GB18030 text "
                                f"(byte {exc.start}): save it as CSV (UTF-8) and try again"
                                ) from exc
    if "\x00" in text:
        raise UnreadableCsv("the file holds binary data (NUL bytes): is it an Excel .xlsx? "
                            "save it as CSV (UTF-8) and try again")
    return text


def numbered_rows(reader: csv.DictReader[str]) -> Iterator[tuple[int, dict[str, Any] | None,
                                                                 str | None]]:
    """(first line, row, None) for each row, or (first line, None, problem) for a bad one.

    A row that runs over several lines means a quote was left open and swallowed the lines
    after it; it is refused with the line range, so those lines are named, not lost.
    """
    _ = reader.fieldnames  # reads the header, so line numbers below count from it
    start = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield start, None, f"unreadable CSV row: {exc}"
            start = reader.line_num + 1
            continue
        end = reader.line_num
        values = [v for v in row.values() if isinstance(v, str)]
        if end > start and any("\n" in v or "\r" in v for v in values):
            yield start, None, (f"lines {start}-{end} read as one row: a quote (\") is not "
                                "closed; fix it and import these lines again")
        elif any("\x00" in v for v in values):
            yield start, None, "binary data (NUL byte) in this row"
        else:
            yield start, row, None
        start = end + 1
