"""Every page a person can open fits a 320 px wide screen without scrolling sideways (WCAG 1.4.10
Reflow), and axe-core finds nothing serious or critical on it at 1280 px and at 320 px.

The pages are those of the access matrix (tests/<app>/access.py), opened on the demo school
(`seed_demo`, so tables have real rows and long names) by a few demo accounts, each signed in
as the matrix persona whose pages it opens. Files (PDFs, CSVs, evidence) and htmx fragments are
left out: they are not pages.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from playwright.sync_api import Error as PlaywrightError

from people.models import Learner, School
from policies.models import Policy
from tests.conftest import World
from tests.e2e.conftest import check_accessibility
from tests.test_access_matrix import CASES

LONDON = ZoneInfo("Europe/London")
MORNING = datetime(2026, 11, 25, 10, 5, tzinfo=LONDON)  # a Wednesday in the autumn term

#: matrix persona -> the demo account that plays it (roles as in people/demo.py).
DEMO = {
    "office": "office",
    "teacher": "teacher",
    "leadership": "deputy",
    "osl": "deputy",
    "dsl": "head",
    "deputy_dsl": "deputy",
    "head": "head",
    "chair": "chair",
    "governor": "governor",
    "admin": "admin",
    "outsider": "darent",
}

FIXED_SLUGS = ("mobile-technology", "theirs")

#: Whatever is wider than the viewport: the element, its width, and its start of text.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll("body *")]
    .filter((el) => el.getBoundingClientRect().right > width + 1)
    .filter((el) => !el.closest(".visually-hidden, .skip-link, .collapse:not(.show)"))
    .slice(0, 5)
    .map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].join(".")} `
      + `${Math.round(el.getBoundingClientRect().right)}px `
      + (el.innerText || "").replace(/\\s+/g, " ").slice(0, 40));
  return {scroll: document.scrollingElement.scrollWidth, width, wide};
}"""


def _demo_world():
    from django.contrib.auth import get_user_model

    users = {p: get_user_model().objects.get(username=u) for p, u in DEMO.items()}
    school = School.objects.get(name="Anthony Roper Primary School")
    other = School.objects.exclude(pk=school.pk).get(trust=school.trust)
    return World(
        school=school,
        other_school=other,
        learner=Learner.objects.filter(school=school).order_by("pk").first(),
        other_learner=Learner.objects.filter(school=other).order_by("pk").first(),
        users=users,
    )


def _sign_in(page, live_server, user):
    client = Client()
    client.force_login(user)
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": k, "value": v.value, "url": live_server.url} for k, v in client.cookies.items()]
    )


#: The office's pages are all among the head's; those the office is shown differently (the
#: desk and its registers, a concern as its reporter sees it, a learner without their
#: chronology) are opened as the office too. The rest (policies, notifications, the account's
#: pages) differ only by the menu, which the office's desk pages show.
OWN_VIEW = {"office": ("devices:", "incidents:", "people:")}


def _pages(world, persona, part=0, parts=1):
    """(case key, url) of every page the persona may open, in the matrix's order, and the
    seed policy (the longest page there is); only every `parts`-th from `part` (a long list
    is checked in parts, which the test workers share)."""
    if persona not in OWN_VIEW and part == 0:
        seed = Policy.objects.filter(school=world.school).order_by("pk").first()
        yield "policies:detail#seed", seed.get_absolute_url()
    n = -1
    for key in sorted(CASES):
        case = CASES[key]
        if case.method != "get" or case.expect[persona] != 200 or key == "admin:index":
            continue
        if persona in OWN_VIEW and not key.startswith(OWN_VIEW[persona]):
            continue
        n += 1
        if n % parts != part:
            continue
        # The matrix's builders make policies with fixed slugs (the seed policy's among them),
        # each in a fresh database: here the one made before steps aside.
        for n, policy in enumerate(Policy.objects.filter(slug__in=FIXED_SLUGS)):
            Policy.objects.filter(pk=policy.pk).update(slug=f"{policy.slug}-{policy.pk}-{n}")
        yield key, case.build(world, world.users[persona])


def _axe(page, failures):
    """Every page is checked at both widths, and all that axe finds is reported at once."""
    try:
        check_accessibility(page)
    except AssertionError as error:
        failures.append(f"{page.viewport_size['width']} px: {error}")


class Check:
    """Each page opened at 1280 px and made 320 px wide: what is wider than the screen, and
    what axe finds at each width, all reported at once at the end."""

    def __init__(self, page, live_server):
        self.page, self.base = page, live_server.url
        self.checked, self.too_wide, self.failures = [], [], []

    def open(self, name, url) -> bool:
        """Check the page at `url`; False (nothing checked) when it is not a page: a file or an
        htmx fragment."""
        self.page.set_viewport_size({"width": 1280, "height": 800})
        try:
            response = self.page.goto(self.base + url)
        except PlaywrightError as error:
            if "Download is starting" in str(error):
                return False  # a file (a CSV, a PDF, evidence)
            raise
        if "text/html" not in response.headers.get("content-type", "") or not (
            self.page.locator("main").count()
        ):
            return False  # a file the browser shows, or an htmx fragment
        self.checked.append(name)
        _axe(self.page, self.failures)
        # The same page made narrow: the style sheets' media queries apply at once.
        self.page.set_viewport_size({"width": 320, "height": 640})
        measured = self.page.evaluate(OVERFLOW)
        if measured["scroll"] > measured["width"]:
            self.too_wide.append(f"{name} {url}: {measured['scroll']}px {measured['wide']}")
        _axe(self.page, self.failures)
        return True

    def assert_all_passed(self):
        assert len(self.checked) > 10, self.checked
        assert not self.too_wide, "pages wider than 320 px:\n" + "\n".join(self.too_wide)
        assert not self.failures, "\n".join(self.failures)


# The office (the desk's pages) and the head (every other page a school opens, the governor
# report and the teacher's My reports included); the other personas see subsets of these.
@pytest.mark.parametrize(
    ("persona", "part", "parts"),
    [("office", 0, 1), *(("head", part, 4) for part in range(4))],
    ids=["office", *(f"head-{part + 1}-of-4" for part in range(4))],
)
def test_every_page_reflows_at_320_px_and_passes_axe(persona, part, parts, demo, page, live_server):
    with time_machine.travel(MORNING, tick=True):
        world = _demo_world()
        _sign_in(page, live_server, world.users[persona])
        check = Check(page, live_server)
        for key, url in _pages(world, persona, part, parts):
            check.open(key, url)
        check.assert_all_passed()


def test_every_admin_list_the_admin_opens_reflows_and_passes_axe(demo, page, live_server):
    """Django's admin as Roper serves it (with static/css/admin.css): its index and every list
    the demo's admin may open, at 1280 px and at 320 px."""
    from django.contrib import admin
    from django.urls import reverse

    with time_machine.travel(MORNING, tick=True):
        _sign_in(page, live_server, _demo_world().users["admin"])
        lists = sorted(
            reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
            for model in admin.site._registry
        )
        check = Check(page, live_server)
        for url in ["/admin/", *lists]:
            if page.request.get(live_server.url + url, max_redirects=0).status != 200:
                continue  # a list only a superuser opens
            check.open(url, url)
        check.assert_all_passed()
