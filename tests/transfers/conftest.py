import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from devices import services as devices_services
from incidents import services as incidents_services
from tests.factories import LearnerFactory, collector, report

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


@pytest.fixture
def held(world, settings, tmp_path):
    """Amelia's file at school A: a parent, a concern naming her and a witness (with a photo
    and a timeline), a confiscated phone released to her mother, and an allegation about the
    headteacher naming her (concealed from the head)."""
    settings.PRIVATE_STORAGE_ROOT = tmp_path
    w = world
    collector(w.learner, guardian__name="Sara Khan", relationship="Mother")
    witness = LearnerFactory(school=w.school, legal_first_name="Bella", legal_last_name="Stone")
    concern = report(
        w.school,
        w.users["teacher"],
        people=[(w.learner, "child"), (witness, "witness")],
        what_happened="Amelia was sent messages at night — “stop”, she said.",
    )
    incidents_services.concern_add_information(
        concern=concern,
        by=w.users["teacher"],
        text="The screenshot.",
        files=[SimpleUploadedFile("screen.png", PNG)],
    )
    phone = devices_services.confiscation_record(
        learner=w.learner,
        device="Blue Samsung",
        reason="Filming in the playground",
        by=w.users["teacher"],
        held_at="Office drawer",
        concern=concern,
    )
    about_head = report(
        w.school,
        w.users["teacher"],
        "about_head",
        people=[(w.users["head"], "alleged"), (w.learner, "child")],
        what_happened="The head messaged Amelia late at night.",
    )
    return concern, phone, about_head
