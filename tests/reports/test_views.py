import csv
import io
import re
import subprocess
from datetime import date, timedelta

import pytest
from django.urls import reverse

from devices.models import CustodyState
from incidents.models import Entry, Involvement
from reports.models import Commentary
from tests.factories import (
    LearnerFactory,
    MembershipFactory,
    concern,
    handovers,
    london,
    term,
)
from tests.factories import confiscation_at as confiscation
from tests.roper.test_pdf import assert_accessible_pdf

URL = reverse("reports:governors")


def _pdf_text(content: bytes) -> str:
    return subprocess.run(
        ["/usr/bin/pdftotext", "-layout", "-", "-"],
        input=content,
        capture_output=True,
        check=True,
    ).stdout.decode()


def test_it_opens_on_the_last_completed_term_with_a_picker(terms, as_user, governor):
    response = as_user(governor).get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Summer 2026 (28 Mar 2026 – 21 Jul 2026)" in html
    assert '<option value="now">Autumn 2026 so far</option>' in html
    spring = term(terms.school, "spring", 2026)
    assert f'<option value="{spring.pk}">Spring 2026</option>' in html
    assert "Previous term (Spring 2026)" in html
    assert "Same term last year (Summer 2025)" in html


def test_this_term_so_far(terms, as_user, governor):
    html = as_user(governor).get(URL, {"term": "now"}).content.decode()
    assert "Autumn 2026 so far (22 Jul 2026 – 24 Nov 2026)" in html


def test_the_governor_lands_on_the_report(terms, as_user, governor):
    response = as_user(governor).get(reverse("home"))
    assert response.status_code == 302
    assert response.url == URL


def test_charts_are_svg_in_the_page_with_no_script(terms, as_user, governor):
    concern(terms.school, at=london(2026, 5, 5))
    html = as_user(governor).get(URL).content.decode()
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="report-chart"') == 2
    main = html.split("<main", 1)[1].split("</main>", 1)[0]
    assert "<script" not in main
    assert not re.search(r"\son[a-z]+=", main)


def _seed_identifying(world):
    """Records full of names, numbers and free text that must never reach a report."""
    school = world.school
    learner = LearnerFactory(
        school=school,
        legal_first_name="Zebedee",
        legal_last_name="Quuxworthy",
        preferred_name="Zebbo",
        upn="Z123456789012",
        date_of_birth=date(2014, 3, 17),
        class_name="Narwhalclass",
    )
    member = MembershipFactory(
        school=school, roles=["staff"], user__first_name="Ignatius", user__last_name="Plumtree"
    )
    for key in ("social_media", "staff_breach", "device_misuse"):
        made = concern(
            school,
            key,
            london(2026, 5, 5),
            triage_after=timedelta(hours=2),
            text="Xylophonic secret message about the den",
            platform="Snapgramz",
            handles="@zeb_secret_handle",
            decision="Quixotic decision text",
            outcome="Outcomeword parents met",
            lessons_learnt="Lessonword bags",
            status="closed",
        )
        made.where = "Wheretext corridor"
        made.save()
        Involvement.objects.create(concern=made, kind="learner", learner=learner, part="child")
        Involvement.objects.create(concern=made, kind="staff", staff=member.user, part="alleged")
        Entry.objects.create(
            concern=made, kind=Entry.Kind.NOTE, at=made.reported_at, text="Notetext secret"
        )
    handovers(school, date(2026, 5, 5), 1)
    c = confiscation(school, london(2026, 5, 6), CustodyState.SECURED, reason="Flibbertigibbet")
    c.learner = learner
    c.save()
    return [
        "Zebedee",
        "Quuxworthy",
        "Zebbo",
        "Z123456789012",
        "2014-03-17",
        "17/03/2014",
        "17 Mar 2014",
        "17 March 2014",
        "Narwhalclass",
        "Ignatius",
        "Plumtree",
        "Xylophonic",
        "Snapgramz",
        "zeb_secret_handle",
        "Quixotic",
        "Outcomeword",
        "Lessonword",
        "Wheretext",
        "Notetext",
        "Flibbertigibbet",
    ]


def test_no_name_upn_birth_date_class_or_free_text_in_the_page_csv_or_pdf(terms, as_user, governor):
    secrets = _seed_identifying(terms)
    client = as_user(governor)
    summer = term(terms.school, "summer", 2026)
    html = client.get(URL, {"term": summer.pk}).content.decode()
    csv_text = client.get(URL, {"term": summer.pk, "format": "csv"}).content.decode()
    pdf = client.get(URL, {"term": summer.pk, "format": "pdf"})
    assert pdf["Content-Type"] == "application/pdf"
    assert_accessible_pdf(pdf.content, f"Online safety report to governors: {terms.school.name}")
    pdf_text = _pdf_text(pdf.content)
    assert "Concerns reported" in pdf_text  # the text was extracted
    for secret in secrets:
        for name, text in (("page", html), ("CSV", csv_text), ("PDF", pdf_text)):
            assert secret.lower() not in text.lower(), f"{secret!r} in the {name}"


def _csv_rows(content):
    return list(csv.reader(io.StringIO(content.decode())))


def test_page_csv_and_pdf_show_the_same_figures(terms, as_user, governor):
    school = terms.school
    concern(school, "social_media", london(2026, 5, 5))
    for _ in range(7):
        concern(school, "device_misuse", london(2026, 5, 6), triage_after=timedelta(hours=3))
    for _ in range(4):
        concern(school, "device_misuse", london(2026, 2, 6))  # spring: the previous term
    client = as_user(governor)
    summer = term(school, "summer", 2026)
    html = client.get(URL, {"term": summer.pk}).content.decode()
    rows = {
        r[1]: r[2:]
        for r in _csv_rows(client.get(URL, {"term": summer.pk, "format": "csv"}).content)
        if len(r) > 2
    }
    assert rows["Concerns reported"] == ["8", "4", "0"]
    assert rows["Learner social media concern, including under-13 use (§6.1, §8.3)"][0] == (
        "fewer than 3"
    )
    assert rows["Learner device misuse or breach (§5.3)"][0] == "not shown"
    assert rows["Median time from report to triage"][0] == "3.0 hours"
    pdf_text = _pdf_text(client.get(URL, {"term": summer.pk, "format": "pdf"}).content)
    for label in ("Concerns reported", "Median time from report to triage"):
        cells = rows[label]
        page_row = re.search(
            rf"<th scope=\"row\" class=\"\">{re.escape(label)}</th>(.*?)</tr>", html
        ).group(1)
        assert re.findall(r'<td class="num">(.*?)</td>', page_row) == cells
        pdf_line = next(
            line for line in pdf_text.splitlines() if re.match(rf"\s*{re.escape(label)}\s\s", line)
        )
        assert pdf_line.split(label, 1)[1].split() == " ".join(cells).split()


def test_the_named_governor_saves_commentary_for_the_term(terms, as_user, governor):
    summer = term(terms.school, "summer", 2026)
    client = as_user(governor)
    response = client.post(
        reverse("reports:commentary", args=[summer.pk]), {"text": "Triage times improved."}
    )
    assert response.status_code == 302
    assert response.url == f"{URL}?term={summer.pk}"
    saved = Commentary.objects.get(school=terms.school, term=summer)
    assert saved.updated_by == governor
    html = client.get(response.url).content.decode()
    # In the box, to be edited, under its label and with what to leave out.
    assert 'id="id_text">\nTriage times improved.</textarea>' in html
    assert '<label for="id_text" class="form-label">The named governor&#x27;s commentary' in html
    assert 'aria-describedby="id_text_helptext"' in html and "Do not name a child" in html
    csv_text = client.get(URL, {"term": summer.pk, "format": "csv"}).content.decode()
    assert "Triage times improved." in csv_text
    client.post(reverse("reports:commentary", args=[summer.pk]), {"text": "Edited."})
    assert Commentary.objects.get(school=terms.school, term=summer).text == "Edited."


def test_the_headteacher_reads_the_commentary_but_cannot_write_it(terms, as_user, head, governor):
    summer = term(terms.school, "summer", 2026)
    Commentary.objects.create(school=terms.school, term=summer, text="Well done.")
    html = as_user(head).get(URL).content.decode()
    assert "Well done." in html
    assert "Save commentary" not in html
    response = as_user(head).post(reverse("reports:commentary", args=[summer.pk]), {"text": "x"})
    assert response.status_code == 403


def test_a_governor_of_school_a_cannot_open_school_bs_report(terms, as_user, governor):
    theirs = term(terms.other_school, "summer", 2026)
    assert as_user(governor).get(URL, {"term": theirs.pk}).status_code == 404
    assert as_user(governor).get(URL, {"term": theirs.pk, "format": "pdf"}).status_code == 404


def test_a_bad_term_or_format_is_not_found(terms, as_user, governor):
    assert as_user(governor).get(URL, {"term": "abc"}).status_code == 404
    summer = term(terms.school, "summer", 2026)
    assert as_user(governor).get(URL, {"term": summer.pk, "format": "xls"}).status_code == 404


@pytest.mark.django_db
def test_a_school_with_no_term_dates_says_so(world, as_user, governor):
    html = as_user(governor).get(URL).content.decode()
    assert "no term dates on file" in html
