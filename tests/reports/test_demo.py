import pytest
from django.urls import reverse

from incidents.models import Concern
from people.models import School
from reports.demo import HISTORY_WHERE
from reports.models import Commentary

pytestmark = pytest.mark.django_db


def test_the_demo_gives_last_term_figures_a_commentary_and_a_trust_governor(demo, client):
    school = School.objects.get(name="Anthony Roper Primary School")
    assert Concern.objects.filter(school=school, where=HISTORY_WHERE).count() > 20
    commentary = Commentary.objects.get(school=school)
    from django.contrib.auth import get_user_model

    governor = get_user_model().objects.get(username="governor")
    client.force_login(governor)
    html = client.get(reverse("reports:governors")).content.decode()
    assert str(commentary.term) in html
    assert commentary.text in html
    assert HISTORY_WHERE not in html
    trustee = get_user_model().objects.get(username="trustee")
    client.force_login(trustee)
    assert client.get(reverse("reports:trust")).status_code == 200
