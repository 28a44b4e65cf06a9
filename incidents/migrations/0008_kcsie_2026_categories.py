"""KCSIE 2025/2026 categories for the schools that exist (docs/kcsie-2026-categories.md).

A frozen copy of incidents.routing.KCSIE_2026_CATEGORIES as they were when this was written
(later edits to the defaults must not change what this migration did). A school that already
has a category with the same key or the same name (its own, perhaps made before Roper had
one) keeps it and gets no twin; nothing a school has is renamed or edited. New categories
go after the school's own, in this order.
"""

from django.db import migrations

NO_IMAGES = (
    "Do not upload, copy, forward or screenshot sexual images of children, even as evidence "
    "(UKCIS guidance: sharing nudes and semi-nudes). Describe what you saw, tell the DSL in "
    "person, and leave any device as it is."
)

ROWS = [{'key': 'child_on_child',
  'name': 'Child-on-child abuse, including sexual violence and sexual harassment (KCSIE Part '
          '5)',
  'owner_role': 'dsl',
  'informed_roles': [],
  'required_referrals': [],
  'referral_note': "Children's social care and police (rape, assault by penetration, sexual "
                   'assault), as the DSL decides',
  'deadline_amount': 60,
  'deadline_unit': 'minutes',
  'guidance': 'Tell the DSL in person now. Write down what the child said in their words; do '
              'not promise to keep it secret and do not question the children involved.',
  'no_images_reason': '',
  'allows_images': True},
 {'key': 'ai_imagery',
  'name': 'AI-generated or deepfake imagery of a pupil or member of staff',
  'owner_role': 'dsl',
  'informed_roles': ['osl'],
  'required_referrals': [],
  'referral_note': "Police and children's social care if the image is sexual (treated as "
                   'nudes), as the DSL decides',
  'deadline_amount': 60,
  'deadline_unit': 'minutes',
  'guidance': 'A faked or AI-made picture, video or voice of a real person is child-on-child '
              'abuse when a pupil made or shared it. Do not view, copy or forward it; say who '
              'is shown, who shared it and on what platform.',
  'no_images_reason': NO_IMAGES,
  'allows_images': False,
  'is_online': True},
 {'key': 'sextortion',
  'name': 'Sexual extortion (sextortion), including financially motivated',
  'owner_role': 'dsl',
  'informed_roles': ['headteacher'],
  'required_referrals': ['police'],
  'referral_note': 'Police (CEOP or 101; 999 if a child is at risk now)',
  'deadline_amount': 60,
  'deadline_unit': 'minutes',
  'guidance': 'A child is being threatened that a sexual image (real or faked) will be shared '
              'unless they pay or send more. Tell the DSL in person now. Do not view the '
              'images; tell the child not to pay and not to delete the messages.',
  'no_images_reason': NO_IMAGES,
  'allows_images': False,
  'is_online': True},
 {'key': 'online_contact',
  'name': 'Harmful online contact, including grooming (contact risk)',
  'owner_role': 'dsl',
  'informed_roles': ['osl'],
  'required_referrals': [],
  'referral_note': "Police (CEOP) and children's social care, as the DSL decides",
  'deadline_amount': 60,
  'deadline_unit': 'minutes',
  'guidance': 'Someone is contacting a pupil online to groom, exploit or harm them. Record the '
              'platform and account names; do not contact the account.',
  'no_images_reason': '',
  'allows_images': True,
  'is_online': True},
 {'key': 'harmful_content',
  'name': 'Harmful online content, including misinformation, disinformation and conspiracy '
          'theories (content risk)',
  'owner_role': 'dsl',
  'informed_roles': ['osl'],
  'required_referrals': ['parents'],
  'referral_note': 'Parents, as appropriate',
  'deadline_amount': 1,
  'deadline_unit': 'school_days',
  'guidance': 'A pupil has seen, shared or is repeating harmful content (self-harm, '
              'pornography, misogyny, hate, fake news, conspiracy theories). Say what, where '
              'and who.',
  'no_images_reason': '',
  'allows_images': True,
  'is_online': True},
 {'key': 'online_commerce',
  'name': 'Online scams, gambling or financial exploitation (commerce risk)',
  'owner_role': 'dsl',
  'informed_roles': ['osl'],
  'required_referrals': ['parents'],
  'referral_note': 'Parents',
  'deadline_amount': 1,
  'deadline_unit': 'school_days',
  'guidance': 'Phishing, scams, gambling, loot boxes or money muling. Record the platform and '
              'what was asked for.',
  'no_images_reason': '',
  'allows_images': True,
  'is_online': True},
 {'key': 'radicalisation',
  'name': 'Radicalisation or extremism concern (Prevent)',
  'owner_role': 'dsl',
  'informed_roles': ['headteacher'],
  'required_referrals': [],
  'referral_note': 'Prevent referral (Channel), as the DSL decides',
  'deadline_amount': 1,
  'deadline_unit': 'school_days',
  'guidance': "Record what was said, shared or searched for, in the pupil's words. Do not "
              "challenge the pupil's views or tell the family; the DSL decides on a Prevent "
              'referral.',
  'no_images_reason': '',
  'allows_images': True,
  'is_online': False},
 {'key': 'monitoring_alert',
  'name': 'Filtering or monitoring alert (DfE filtering and monitoring standards)',
  'owner_role': 'dsl',
  'informed_roles': ['osl'],
  'required_referrals': [],
  'referral_note': '',
  'deadline_amount': 1,
  'deadline_unit': 'school_days',
  'guidance': 'A blocked search, a flagged message or a monitoring report about a pupil. Say '
              'which system raised it, when, and on which device or account.',
  'no_images_reason': '',
  'allows_images': True,
  'is_online': True}]


def add_categories(apps, schema_editor):
    School = apps.get_model("people", "School")
    Category = apps.get_model("incidents", "Category")
    new = []
    for school in School.objects.all():
        have = list(Category.objects.filter(school=school).values_list("key", "name", "order"))
        keys = {key for key, _, _ in have}
        names = {name.strip().casefold() for _, name, _ in have}
        order = max((o for _, _, o in have), default=-1)
        for row in ROWS:
            if row["key"] in keys or row["name"].casefold() in names:
                continue
            order += 1
            new.append(Category(school=school, order=order, **row))
    Category.objects.bulk_create(new)


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0007_concern_closed_index"),
        ("people", "0004_sensitive_change_requests"),
    ]

    # Backwards leaves the rows: a school may have used or edited them since.
    operations = [migrations.RunPython(add_categories, migrations.RunPython.noop)]
