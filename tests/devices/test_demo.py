from devices import demo as devices_demo
from devices.models import Confiscation, CustodyEvent, DeskEntry, Handover, LearnerExemption
from people.demo import seed_people


def counts():
    return [m.objects.count() for m in (Handover, DeskEntry, Confiscation, CustodyEvent)] + [
        LearnerExemption.objects.count()
    ]


def test_the_demo_has_handovers_today_and_confiscations_and_running_it_twice_changes_nothing(db):
    demo = seed_people()
    devices_demo.seed(demo)
    first = counts()
    assert first[0] > 20 and first[2] == 2
    devices_demo.seed(demo)
    assert counts() == first
