"""A CSV download for a spreadsheet: a BOM first (Excel opens the UTF-8 Chinese as it is), every
cell through notifications.csv_safe (no cell is a formula), the day in its file name."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from flask import Response

from hotline.web.stats import local_zone
from models import utcnow
from notifications.csv_safe import safe_writer


def csv_response(rows: Iterable[list[Any]], header: list[str], name: str) -> Response:
    """A CSV download (BOM first, so Excel opens the UTF-8 Chinese as it is)."""
    out = io.StringIO()
    writer = safe_writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    day = utcnow().astimezone(local_zone()).strftime("%Y-%m-%d")
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{name}-{day}.csv"'})
