"""The governors' report as CSV opens in Excel as UTF-8: it starts with a byte-order mark."""

import csv
import io

from roper.exports import BOM


def test_the_governors_report_file_has_a_byte_order_mark(terms, as_user, governor):
    response = as_user(governor).get("/reports/governors/", {"term": "now", "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text.startswith(BOM)
    assert list(csv.reader(io.StringIO(text.removeprefix(BOM))))[0][0].startswith("Online")
