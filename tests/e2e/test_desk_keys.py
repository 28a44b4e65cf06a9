"""The desk keystroke measurement (bench/desk_keys.py, docs/desk-keystrokes.md) on the live
server, for three learners: the two Finley Kings of Cedar and one other. It counts what its
rule says, and the desk asks (never guesses) between the namesakes."""

from datetime import date, datetime

import pytest
import time_machine

from bench import desk_keys

pytestmark = pytest.mark.usefixtures("demo")  # the demo, as seed_demo makes it

DAYS = [date(2026, 11, 26), date(2026, 11, 27)]  # the Thursday and Friday after the demo's day


def test_the_desk_takes_the_keys_the_rule_gives(page, live_server):
    learners = desk_keys.school_learners()
    chosen = desk_keys.sample(learners, 3)
    assert [desk_keys.full_name(lr) for lr in chosen].count("Finley King") == 2
    typed = {lr["upn"]: desk_keys.typed(lr, learners) for lr in chosen}
    assert sorted(typed.values())[:2] == ["finley king", "finley king"]  # nothing tells them apart

    with time_machine.travel(
        datetime(2026, 11, 26, 8, 0, tzinfo=desk_keys.LONDON), tick=True
    ) as clock:
        desk = desk_keys.Desk(page, live_server.url, set_clock=clock.move_to, key_delay_ms=0)
        results = desk_keys.measure(desk, chosen, learners, DAYS)

    assert [r.outcome for r in results if r.outcome not in ("ok", "asked")] == []
    for task in desk_keys.TASKS:
        rows = [r for r in results if r.task == task]
        assert [r.upn for r in rows] == [lr["upn"] for lr in chosen]
        for r in rows:
            if task == "parent collecting":  # open the list, pick the parent, Check out
                assert (r.keys, r.clicks) == (len(typed[r.upn]) + 3, 3)
            else:  # Enter, and a click on the learner's own row when the desk asks
                asked = r.outcome == "asked"
                assert (r.keys, r.clicks) == (len(typed[r.upn]) + 1 + asked, asked)
        # Enter asks for the first Finley King (both waiting), not for the second.
        if task != "parent collecting":
            kings = [r.outcome for r in rows if r.learner == "Finley King"]
            assert kings == ["asked", "ok"]
            assert [r.outcome for r in rows if r.learner != "Finley King"] == ["ok"]
