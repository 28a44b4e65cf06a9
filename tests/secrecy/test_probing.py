"""Probing ids tells no one that a record concealed from them exists: every URL of devices and
incidents that takes the id of a concern, of evidence on it or of a device confiscated for it
answers a person it is concealed from exactly as it answers an id that was never used (404,
the same page), whatever their roles."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from devices.models import Confiscation, CustodyState
from incidents.models import Evidence
from incidents.services import concern_add_information
from tests.factories import collector, head_allegation, secured, staff_allegation

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
NEVER = 99  # record numbers are twelve digits: no record has this one
CSRF = re.compile(r'(name="csrfmiddlewaretoken" value=|"X-CSRFToken": )"[^"]*"')
NONCE = re.compile(r'nonce="[^"]*"')


@pytest.fixture
def hidden(world, settings, tmp_path):
    """For each viewer, a concern concealed from them, with evidence and a secured device."""
    settings.PRIVATE_STORAGE_ROOT = tmp_path

    def make(viewer):
        if viewer == world.users["head"]:
            concern = head_allegation(world)
        else:
            concern = staff_allegation(world, about=viewer)
        concern_add_information(
            concern=concern,
            by=concern.reporter,
            text="A screenshot.",
            files=[SimpleUploadedFile("message.png", PNG)],
        )
        device = secured(world.learner, world.users["deputy_dsl"])
        Confiscation.objects.filter(pk=device.pk).update(concern=concern)
        return concern, Evidence.objects.get(concern=concern), device

    return make


def _requests(world, concern, evidence, device):
    """(method, url name, the concealed record's id (and the URL's other arguments), data)
    for every URL taking such an id."""
    guardian = collector(world.learner)
    close = {"decision": "d", "reason": "r", "outcome": "o", "finding": "unfounded"}
    return [
        ("get", "devices:confiscation", device.pk, None),
        ("post", "devices:confiscation_move", device.pk, {"to_state": CustodyState.SECURED}),
        (
            "post",
            "devices:confiscation_move",
            device.pk,
            {"to_state": CustodyState.RELEASED, "guardian": guardian.pk, "id_checked": "on"},
        ),
        (
            "post",
            "devices:confiscation_move",
            device.pk,
            {
                "to_state": CustodyState.POLICE,
                "officer": "PC A",
                "force": "Kent",
                "reference": "R1",
                "seal_number": "S1",
            },
        ),
        ("get", "incidents:detail", concern.pk, None),
        ("post", "incidents:add", concern.pk, {"text": "More."}),
        ("post", "incidents:record", (concern.pk, "note"), {"note-text": "Checked."}),
        ("post", "incidents:close", concern.pk, close),
        ("get", "incidents:evidence", evidence.pk, None),
    ]


def _answer(client, method, name, pk, data):
    pk, *rest = pk if isinstance(pk, tuple) else (pk,)
    response = getattr(client, method)(reverse(name, args=[pk, *rest]), data or {})
    body = b"".join(response) if response.streaming else response.content
    text = NONCE.sub("", CSRF.sub("", body.decode("utf-8", "replace")))
    return response.status_code, text


@pytest.mark.parametrize("name", ["head", "dsl", "teacher", "office"])
def test_a_concealed_id_answers_as_an_id_never_used(world, hidden, client, name):
    viewer = world.users[name]
    concern, evidence, device = hidden(viewer)
    client.force_login(viewer)
    for method, url, pk, data in _requests(world, concern, evidence, device):
        concealed = _answer(client, method, url, pk, data)
        never = (NEVER, *pk[1:]) if isinstance(pk, tuple) else NEVER
        absent = _answer(client, method, url, never, data)
        assert concealed == absent, f"{name}: {method} {url}"
        assert concealed[0] == 404, f"{name}: {method} {url}"
    device.refresh_from_db()
    assert device.state == CustodyState.SECURED
    concern.refresh_from_db()
    assert not concern.is_closed
