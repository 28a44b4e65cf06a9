"""The reminder jobs of conduct (discovered by roper.reminders).

- parent-notices: every parent notice still to email (all of them when there is no broker;
  with one, those a broker outage or a mail server delayed)."""

from conduct.notices import parent_notices_deliver
from roper.reminders import job


@job("parent-notices")
def parent_notices(now) -> int:
    return parent_notices_deliver()
