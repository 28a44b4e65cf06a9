"""No one is shown a link they cannot use: for each persona, every link on every page they may
open leads to a page they may open (issue 16: the office saw "Record a confiscation" and got a
403). Built from the access matrix, so a new page is crawled too."""

import re
from html import unescape
from urllib.parse import urlsplit

import pytest
from django.db import transaction

from tests.conftest import ALL_PERSONAS
from tests.test_access_matrix import CASES

HREF = re.compile(r'<a\b[^>]*\bhref="([^"#]+)"')
#: Links that are not pages: files made on demand (the PDF export is slow and has its own tests).
NOT_PAGES = re.compile(r"format=pdf")


def _links(html: str) -> set[str]:
    found = set()
    for href in HREF.findall(html):
        href = unescape(href)
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not parts.path.startswith("/"):
            continue  # another site, mailto:, or a link relative to the page (none here)
        if parts.path.startswith("/static/") or NOT_PAGES.search(href):
            continue
        found.add(href)
    return found


@pytest.mark.parametrize("persona", ALL_PERSONAS)
def test_every_link_a_persona_is_shown_opens(persona, world, client):
    user = world.users[persona]
    client.force_login(user)
    dead, checked = [], set()
    for key, case in sorted(CASES.items()):
        if case.method != "get" or case.expect[persona] != 200 or not case.login_required:
            continue
        # Each page with the records its case makes, undone afterwards (cases reuse names).
        with transaction.atomic():
            url = case.build(world, user)
            response = client.get(url)
            if "text/html" in response.get("Content-Type", ""):
                # Each address once (the menu is on every page).
                for link in sorted(_links(response.content.decode()) - {url} - checked):
                    checked.add(link)
                    status = client.get(link).status_code
                    if status in (403, 404):
                        dead.append(f"{url} ({key}) links to {link}: {status}")
            transaction.set_rollback(True)
    assert not dead, f"{persona} is shown links they cannot use:\n" + "\n".join(dead)
