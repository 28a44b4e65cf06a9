"""Single sign-on in a browser: "Sign in with Microsoft" on Roper's sign-in page, the school's
identity provider's own page (the local OpenID Connect provider of tests/sso), and back: the
office lands on the desk; someone without an approved account is told so, politely."""

import pytest
from playwright.sync_api import expect

from sso.models import IdentityProvider
from tests.e2e.conftest import check_accessibility
from tests.sso.conftest import TENANT, local_idp  # noqa: F401 - the fixture

pytestmark = pytest.mark.usefixtures("demo")  # the demo, as seed_demo makes it

LOCAL = ("http://localhost", "http://127.0.0.1")


@pytest.fixture
def microsoft(local_idp, page):  # noqa: F811
    """Anthony Roper's Microsoft 365, as its admin would set it up (the local provider standing
    in for Microsoft). The provider's page asks for a stylesheet on a CDN: the browser is kept
    to this machine."""
    from people.models import School

    page.route(lambda url: not url.startswith(LOCAL), lambda route: route.abort())
    return IdentityProvider.objects.create(
        kind=IdentityProvider.Kind.ENTRA,
        school=School.objects.get(name="Anthony Roper Primary School"),
        client_id="roper-anthony",
        secret="not-a-real-secret",
        tenant_id=TENANT,
        issuer=local_idp.url,
    )


def _sign_in_with_microsoft(page, live_server, sub):
    page.goto(f"{live_server.url}/accounts/login/")
    check_accessibility(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in with Microsoft").click()
    # The identity provider's own sign-in page.
    page.locator("input[name=sub]").fill(sub)
    with page.expect_navigation(url=lambda url: url.startswith(live_server.url)):
        page.get_by_role("button", name="Authorize").click()


def test_the_office_signs_in_with_microsoft_and_lands_on_the_desk(
    page,
    live_server,
    microsoft,
    local_idp,  # noqa: F811
):
    from django.contrib.auth import get_user_model

    office = get_user_model().objects.get(username="office")
    local_idp.person("jo-marsh", email=office.email, tid=TENANT, name="Jo Marsh")

    _sign_in_with_microsoft(page, live_server, "jo-marsh")

    assert page.url.endswith("/devices/desk/")
    expect(page.get_by_label("Learner name, class or pouch number")).to_be_visible()
    check_accessibility(page)


def test_someone_without_an_approved_account_is_refused_politely(
    page,
    live_server,
    microsoft,
    local_idp,  # noqa: F811
):
    local_idp.person("new-starter", email="new.starter@anthonyroper.example", tid=TENANT)

    _sign_in_with_microsoft(page, live_server, "new-starter")

    expect(page.get_by_role("heading", name="Your account awaits approval")).to_be_visible()
    assert "/devices/desk/" not in page.url
    check_accessibility(page)
    page.goto(f"{live_server.url}/devices/desk/")
    assert "/accounts/login/" in page.url  # not signed in
