"""Staff's CSV files: Excel's GB18030, binary files, and a quote left open are named, not lost."""

from __future__ import annotations

import csv
import io

import pytest
from flask import Flask

from notifications.csv_rows import UnreadableCsv, decode_csv, numbered_rows
from tests.conftest import WebWorld
from tests.test_contact_import import run_import
from tests.test_web_forms import logged_in
from tests.test_web_volunteer_admin import volunteer_by_phone

OPEN_QUOTE = ("name,phone\n"
              "陈律师,13900000011\n"
              '"周律师,13900000012\n'  # the quote is never closed: it swallows what follows
              "吴社工,13900000013\n"
              "郑社工,13900000014\n")


def rows(text: str) -> list[tuple[int, object, str | None]]:
    """numbered_rows over CSV text, rows as their name column."""
    reader = csv.DictReader(io.StringIO(text))
    return [(line, row and row["name"], problem) for line, row, problem in numbered_rows(reader)]


def test_decode_utf8_bom_and_excel_gb18030() -> None:
    assert decode_csv("\ufeffname\n陈律师\n".encode()) == "name\n陈律师\n"
    assert decode_csv("name\n陈律师\n".encode("gb18030")) == "name\n陈律师\n"


@pytest.mark.parametrize("raw, needle", [
    (b"PK\x03\x04\x00\x00xl/workbook.xml", "NUL bytes"),  # an .xlsx renamed to .csv
    (b"name\n\xff\xfe\xfa\xfb\x81\x30\n", "neither UTF-8 nor GB18030"),
])
def test_unreadable_files_are_refused_with_the_reason(raw: bytes, needle: str) -> None:
    with pytest.raises(UnreadableCsv, match=needle):
        decode_csv(raw)


def test_rows_carry_their_first_line_and_an_open_quote_names_what_it_swallowed() -> None:
    assert rows("name,phone\na,1\nb,2\n") == [(2, "a", None), (3, "b", None)]
    [good, bad] = rows(OPEN_QUOTE)
    assert good == (2, "陈律师", None)
    assert bad[0] == 3 and bad[1] is None
    assert bad[2] is not None and bad[2].startswith("lines 3-5 read as one row")


def test_volunteer_upload_names_the_swallowed_lines(app: Flask, web_world: WebWorld) -> None:
    from tests.test_web_volunteer_admin import upload

    client, token = logged_in(app, "staff_a")
    page = upload(client, token, OPEN_QUOTE).get_data(as_text=True)  # type: ignore
    assert "lines 3-5 read as one row" in page
    assert volunteer_by_phone("+8613900000011") is not None
    assert volunteer_by_phone("+8613900000013") is None  # not imported, but named above


def test_volunteer_upload_of_a_binary_file_is_a_clear_400(app: Flask,
                                                          web_world: WebWorld) -> None:
    client, token = logged_in(app, "staff_a")
    # A spreadsheet is told how to save it as CSV (as on the other upload pages); a binary
    # file under a CSV name is refused as binary.
    for name, words in (("v.xlsx", "请在Excel中“另存为”CSV"), ("v.csv", "文件含二进制数据")):
        data = {"csrf_token": token,
                "file": (io.BytesIO(b"PK\x03\x04\x00\x00binary"), name)}
        resp = client.post("/staff/volunteers/import?lang=zh", data=data,
                           content_type="multipart/form-data")
        assert resp.status_code == 400
        assert words in resp.get_data(as_text=True)


def test_contact_import_reports_an_open_quote_and_counts_add_up(app: Flask) -> None:
    text = ("手机号,姓名\n13800138000,李强\n"
            '13800138001,"王芳\n13800138002,张伟\n13800138003,赵六\n')
    summary, errors = run_import(text)
    assert [(e.row, e.reason[:26]) for e in errors] == [(3, "lines 3-5 read as one row:")]
    assert summary["created"] == 1 and summary["rejected"] == 1
    assert summary["rows"] == summary["created"] + summary["updated"] + (
        summary["duplicates"] + summary["rejected"])
