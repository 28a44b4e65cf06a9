"""Hostile input to every form Roper shows.

Every page of the access matrix is opened as a person allowed to see it; every POST form on
it is found in the HTML and sent values drawn by Hypothesis from a hostile set (very long
strings, unicode, HTML and script, SQL fragments, wrong types, missing fields, the ids of
another school's records). Whatever is sent:
- the answer is never a server error;
- another school's records are never changed;
- a script sent in is never shown back unescaped.
"""

import hashlib
from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest
from django.apps import apps
from django.core import serializers
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_access_matrix import CASES

SCRIPT = "<script>alert('roper')</script>"
EXAMPLES_PER_FORM = 10

#: Which persona opens each page to find its forms (the first allowed one, in this order).
PERSONAS = ["head", "dsl", "office", "teacher", "leadership", "osl", "chair", "governor", "admin"]
#: Forms that end the session or only move between schools: nothing to fuzz.
SKIP_ACTIONS = ("/accounts/logout/", "/school/switch/", "/accounts/login/")


class _Forms(HTMLParser):
    """The POST forms of a page: their action and the names of their fields."""

    def __init__(self):
        super().__init__()
        self.forms, self._form = [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("method", "get").lower() == "post":
            self._form = {"action": a.get("action") or "", "fields": {}, "files": False}
        elif self._form is not None and tag in ("input", "select", "textarea") and a.get("name"):
            if a.get("type") == "file":
                self._form["files"] = True
            elif a.get("type") not in ("submit", "button", "reset"):
                self._form["fields"][a["name"]] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None


def _pages():
    for key, case in sorted(CASES.items()):
        if case.method != "get" or not case.login_required:
            continue
        persona = next((p for p in PERSONAS if case.expect.get(p) == 200), None)
        if persona:
            yield pytest.param(key, persona, id=key)


def _other_school_fingerprint(school) -> str:
    """A digest of every row that belongs to the other school, in every Roper app."""
    digest = hashlib.sha256()
    for model in apps.get_models():
        if model._meta.app_label not in {
            "people",
            "devices",
            "incidents",
            "policies",
            "reports",
            "transfers",
        }:
            continue
        field_names = {f.name for f in model._meta.get_fields()}
        if "school" in field_names:
            rows = model.objects.filter(school=school)
        elif "learner" in field_names and model._meta.get_field("learner").related_model:
            rows = model.objects.filter(learner__school=school)
        else:
            continue
        digest.update(serializers.serialize("json", rows.order_by("pk")).encode())
    return digest.hexdigest()


def _hostile(other_ids):
    return st.one_of(
        st.just(""),
        st.just(SCRIPT),
        st.just("' OR 1=1; DROP TABLE people_learner; --"),
        st.just("x" * 20000),
        st.just("\u202e\u0000\ud7ff\U0001f600 ąčę 漢字"),
        st.sampled_from(["-1", "0", "99999999999999999999", "1.5", "NaN", "true", "[]", "{}"]),
        st.sampled_from([str(i) for i in other_ids] or ["1"]),
        st.text(max_size=300),
    )


def _fuzz(client, user, action, fields, other_ids):
    @settings(
        max_examples=EXAMPLES_PER_FORM,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(data=st.data())
    def fuzz(data):
        client.force_login(user)  # a form may have changed the session
        values = {
            name: data.draw(_hostile(other_ids))
            for name in fields
            if name != "csrfmiddlewaretoken" and data.draw(st.booleans())  # missing fields too
        }
        response = client.post(action, values, follow=True)
        assert response.status_code < 500, (action, values)
        if response.get("Content-Type", "").startswith("text/html"):
            assert SCRIPT not in response.content.decode(), "a script was shown unescaped"

    fuzz()


@pytest.mark.django_db
@pytest.mark.parametrize(("key", "persona"), list(_pages()))
def test_no_form_breaks_or_leaks_under_hostile_input(key, persona, world, client):
    case = CASES[key]
    user = world.users[persona]
    client.force_login(user)
    url = case.build(world, user)
    page = client.get(url)
    assert page.status_code == 200
    if not page.get("Content-Type", "").startswith("text/html"):
        pytest.skip("a download, not a page")
    parser = _Forms()
    parser.feed(page.content.decode())
    forms = [f for f in parser.forms if not any(s in (f["action"] or url) for s in SKIP_ACTIONS)]
    if not forms:
        pytest.skip("no form on this page")
    other_ids = [world.other_learner.pk, world.other_school.pk]
    before = _other_school_fingerprint(world.other_school)
    client.raise_request_exception = False

    for form in forms:
        _fuzz(client, user, urljoin(url, form["action"] or url), form["fields"], other_ids)
    assert _other_school_fingerprint(world.other_school) == before


@pytest.mark.django_db
@pytest.mark.parametrize(("key", "persona"), list(_pages()))
def test_a_nul_character_is_refused_with_a_page_that_says_so(key, persona, world, client):
    """PostgreSQL cannot store NUL: every form (and the page's own query string) that carries
    one is answered with the 400 page, and nothing is saved anywhere."""
    case = CASES[key]
    client.force_login(world.users[persona])
    url = case.build(world, world.users[persona])
    page = client.get(url)
    sep = "&" if "?" in url else "?"
    refused = client.get(f"{url}{sep}q=ab%00c")
    assert refused.status_code == 400
    assert "Nothing was saved" in refused.content.decode()
    if not page.get("Content-Type", "").startswith("text/html"):
        return
    parser = _Forms()
    parser.feed(page.content.decode())
    forms = [f for f in parser.forms if not any(s in (f["action"] or url) for s in SKIP_ACTIONS)]
    before = {m: m.objects.count() for m in apps.get_models() if m._meta.app_label != "sessions"}
    for form in forms:
        values = {n: "ab\x00c" for n in form["fields"] if n != "csrfmiddlewaretoken"}
        if not values:
            continue
        answer = client.post(urljoin(url, form["action"] or url), values)
        assert answer.status_code == 400, form["action"]
    after = {m: m.objects.count() for m in before}
    changed = {m._meta.label for m in before if before[m] != after[m]}
    assert not changed - {"roper.AccessLog", "roper.UserSession"}, changed
