"""CSV files to and from a spreadsheet. A download: a BOM first (Excel opens the UTF-8 Chinese as
it is), every cell through notifications.csv_safe (no cell is a formula), the day in its file
name. An upload: read as UTF-8, UTF-8 with a BOM or GBK, or refused with the reason shown."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from flask import Response, flash, request

from hotline.web.english_texts import error_text
from hotline.web.i18n import gettext as _
from hotline.web.stats import local_zone
from models import utcnow
from notifications.csv_rows import UnreadableCsv, decode_csv
from notifications.csv_safe import safe_writer

# Saved by a spreadsheet program in its own format, not as CSV.
SPREADSHEETS = (".xlsx", ".xls", ".xlsm", ".ods", ".numbers")


def csv_response(rows: Iterable[list[Any]], header: list[str], name: str) -> Response:
    """A CSV download (BOM first, so Excel opens the UTF-8 Chinese as it is)."""
    out = io.StringIO()
    writer = safe_writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    day = utcnow().astimezone(local_zone()).strftime("%Y-%m-%d")
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{name}-{day}.csv"'})


def uploaded_csv(max_bytes: int) -> tuple[str, str] | None:
    """The uploaded file's name and text, or None with the reason flashed: a spreadsheet not
    saved as CSV, an empty file or one over `max_bytes`, bytes in no known encoding."""
    upload = request.files.get("file")
    name = ((upload.filename or "") if upload else "")[:80]
    if name.lower().endswith(SPREADSHEETS):
        flash(_("This is a spreadsheet, not a CSV: in Excel choose Save As, CSV UTF-8, "
                "and upload that file."), "error")
        return None
    raw = upload.read(max_bytes + 1) if upload else b""
    if not raw.strip() or len(raw) > max_bytes:
        flash(_("Choose a CSV file of at most %(mb)s MB.", mb=max_bytes // (1024 * 1024)),
              "error")
        return None
    try:
        return name, decode_csv(raw)
    except UnreadableCsv as exc:
        flash(error_text(exc), "error")
        return None
