from datetime import date
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from policies.models import Policy, PolicyVersion
from tests.factories import MembershipFactory

SEED = (
    Path(__file__).resolve().parents[2]
    / "policies"
    / "fixtures"
    / "mobile-technology-and-social-media-policy.txt"
)


@pytest.fixture
def staff(world):
    def person(username, first, last, roles):
        return MembershipFactory(
            school=world.school,
            roles=roles,
            user__username=username,
            user__first_name=first,
            user__last_name=last,
        ).user

    return {
        "head": person("lnewton", "Lynda", "Newton", ["headteacher", "dsl"]),
        "deputy": person("sgoodwin", "Sandra", "Goodwin", ["osl", "deputy_dsl"]),
        "governor": person("cdee", "Chris", "Dee", ["governor"]),
    }


def _import(world, path=SEED, *args):
    call_command(
        "import_policy",
        str(path),
        "--school",
        world.school.urn,
        "--title",
        "Mobile Technology and Social Media Policy",
        *args,
    )


def test_the_seed_file_gives_the_key_people_and_dates(world, staff):
    _import(world)
    policy = Policy.objects.get()
    assert policy.slug == "mobile-technology-and-social-media-policy"
    assert (policy.dsl, policy.osl, policy.governor) == (
        staff["head"],
        staff["deputy"],
        staff["governor"],
    )
    assert policy.written_on == date(2020, 1, 1)
    assert policy.ratified_on == date(2020, 2, 1)
    assert policy.next_review_on == date(2021, 1, 1)
    assert policy.status == Policy.Status.RATIFIED
    version = PolicyVersion.objects.get()
    assert version.number == 1 and version.ratified_on == date(2020, 2, 1)
    # The sections are the body, as Markdown headings; the key details are not repeated.
    assert "## 1. Policy aims" in policy.body
    assert "### 5.3 Learners use of personal devices and mobile phones" in policy.body
    assert "Key Details" not in policy.body and "Lynda Newton" not in policy.body
    assert "    - Anti-bullying policy" in policy.body


def test_arguments_override_the_key_details(world, staff):
    _import(world, SEED, "--dsl", "sgoodwin", "--ratified", "2020-03", "--next-review", "2021-02")
    policy = Policy.objects.get()
    assert policy.dsl == staff["deputy"]
    assert policy.ratified_on == date(2020, 3, 1)
    assert policy.next_review_on == date(2021, 2, 1)


def test_a_next_review_more_than_a_year_after_ratification_is_refused(world, staff):
    with pytest.raises(CommandError, match="at least annually"):
        _import(world, SEED, "--next-review", "2021-06")
    assert not Policy.objects.exists()


def test_an_empty_file_gives_a_clear_error_and_saves_nothing(world, staff, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n  \n")
    with pytest.raises(CommandError, match="empty"):
        _import(world, empty)
    assert not Policy.objects.exists()


def test_an_unknown_person_gives_a_clear_error_and_saves_nothing(world, staff, tmp_path):
    text = SEED.read_text().replace("Chris Dee", "Pat Nobody")
    path = tmp_path / "policy.txt"
    path.write_text(text)
    with pytest.raises(CommandError, match="no user of .* is called 'Pat Nobody'"):
        _import(world, path)
    assert not Policy.objects.exists() and not PolicyVersion.objects.exists()


def test_a_person_of_another_school_is_unknown(world, staff):
    MembershipFactory(
        school=world.other_school,
        roles=["staff"],
        user__username="elsewhere",
        user__first_name="Eve",
        user__last_name="Elsewhere",
    )
    with pytest.raises(CommandError, match="Eve Elsewhere"):
        _import(world, SEED, "--governor", "Eve Elsewhere")
    assert not Policy.objects.exists()


def test_an_unknown_school_gives_a_clear_error(db):
    with pytest.raises(CommandError, match="No school with URN"):
        call_command("import_policy", str(SEED), "--school", "123")


def test_importing_twice_is_refused(world, staff):
    _import(world)
    with pytest.raises(CommandError, match="already has a policy"):
        _import(world)
    assert Policy.objects.count() == 1


def test_a_markdown_file_without_key_details_imports_as_a_draft(world, tmp_path):
    path = tmp_path / "lettings.md"
    path.write_text("# Lettings policy\n\n## 1. Aims\n\n- Halls are let to groups.\n")
    call_command("import_policy", str(path), "--school", world.school.urn)
    policy = Policy.objects.get()
    assert policy.title == "Lettings policy" and policy.status == Policy.Status.DRAFT
    assert "## 1. Aims" in policy.body


def test_the_demo_seed_loads_the_policy_once(demo):
    call_command("seed_demo")
    policy = Policy.objects.get(slug="mobile-technology-and-social-media-policy")
    assert policy.dsl.get_full_name() == "Lynda Newton"
    assert policy.osl.get_full_name() == "Sandra Goodwin"
    assert policy.deputy_dsl.get_full_name() == "Sandra Goodwin"
    assert policy.governor.get_full_name() == "Chris Dee"
    assert policy.versions.count() == 1
    assert policy.linked.count() == 7
    assert Policy.objects.filter(school=policy.school).count() == 8


def test_a_later_ratification_with_the_files_old_review_date_is_refused(world, staff):
    with pytest.raises(CommandError, match="must be after the ratification"):
        _import(world, SEED, "--ratified", "2026-09")
    assert not Policy.objects.exists()
