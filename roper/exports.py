"""CSV files as people open them: in Excel, by double-clicking.

Excel reads a CSV as the PC's legacy code page unless the file starts with a UTF-8 byte-order
mark, so "Zoë" and "–" come out garbled without it. And a cell that starts with = + - or @
is a formula to Excel: a concern's text or a device description typed as "=HYPERLINK(...)"
would run when the DSL opens the file. Such a cell is written with a leading apostrophe, which
Excel shows as text (OWASP's "CSV injection" advice)."""

import csv
from collections.abc import Iterable

from django.http import HttpResponse

BOM = "\ufeff"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value) -> object:
    """A value safe to put in a spreadsheet: text that Excel would take as a formula is
    written with a leading apostrophe; numbers, dates and empty values stay as they are."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class SafeWriter:
    """csv.writer whose every cell goes through `cell`."""

    def __init__(self, out):
        self._writer = csv.writer(out)

    def writerow(self, row):
        return self._writer.writerow([cell(value) for value in row])


def csv_response(filename: str, header: list[str], rows: Iterable[Iterable]) -> HttpResponse:
    """An attachment `filename`.csv: a byte-order mark, the header, then the rows."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    response.write(BOM)
    writer = SafeWriter(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow(row)
    return response
