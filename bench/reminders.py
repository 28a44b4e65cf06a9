"""`run_reminders` over the whole data set: time and peak memory.

It runs inside a transaction that is rolled back, so that every benchmark run measures the
same first run (every reminder due is sent) and leaves the data as it was. Run as a script
(`python -m bench.reminders`) it prints one JSON line: the runner starts it in a fresh
process so that its peak RSS is the job's own (the interpreter and Django included).
"""

import json
import resource
import time
import tracemalloc

from django.db import transaction


class Rollback(Exception):
    pass


def _memory_mb(field: str) -> float:
    """This process's own VmHWM (peak) or VmRSS, from /proc (Linux). Not getrusage's
    ru_maxrss: Linux keeps it across exec, so a process started by a larger one reports the
    parent's size (the runner, grown by the sweep, made this job's 198 MB read 281 MB)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(f"{field}:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(*, trace: bool = False) -> dict:
    from roper.models import Notification, Reminder
    from roper.reminders import run_reminders

    rss_before = _memory_mb("VmRSS")
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    out = {}
    try:
        with transaction.atomic():
            before = Reminder.objects.count(), Notification.objects.count()
            out["jobs"] = run_reminders()
            out["seconds"] = round(time.perf_counter() - started, 3)
            out["reminders_sent"] = Reminder.objects.count() - before[0]
            out["notifications_created"] = Notification.objects.count() - before[1]
            raise Rollback
    except Rollback:
        pass
    if trace:
        out["python_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
        tracemalloc.stop()
    out["peak_rss_mb"] = round(_memory_mb("VmHWM"), 1)
    out["rss_before_mb"] = round(rss_before, 1)
    return out


if __name__ == "__main__":
    import os
    import sys

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "roper.settings")
    django.setup()
    print(json.dumps(measure(trace="--trace" in sys.argv)))
