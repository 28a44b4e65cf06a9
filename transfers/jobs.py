"""A transfer not received by its deadline escalates (run by roper.reminders): at the
deadline the sending school's DSLs (and, within the trust, the receiving school's) are told;
a school day later, the sending school's headteacher too."""

from datetime import datetime

from django.urls import reverse

from people.calendar import SchoolCalendar
from roper.models import Notification
from roper.permissions import holders
from roper.reminders import job, reminder_send
from roper.roles import Role
from transfers.models import Transfer


@job("transfers-overdue")
def transfers_overdue(now: datetime) -> int:
    sent = 0
    late = Transfer.objects.filter(status=Transfer.Status.SENT, deadline__lte=now).select_related(
        "learner", "from_school", "to_school", "sent_by"
    )
    for transfer in late:
        url = reverse("transfers:detail", args=[transfer.pk])
        title = f"A child-protection file sent to {transfer.to_name} is not yet received"
        sent += reminder_send(
            key=f"transfer-overdue:{transfer.pk}",
            recipients=[transfer.sent_by, *holders(transfer.from_school, "transfers.send")],
            school=transfer.from_school,
            title=title,
            url=url,
            urgency=Notification.Urgency.HIGH,
        )
        if transfer.to_school_id:
            sent += reminder_send(
                key=f"transfer-overdue:{transfer.pk}:to",
                recipients=holders(transfer.to_school, "transfers.send"),
                school=transfer.to_school,
                title=f"A child-protection file from {transfer.from_school.name} awaits you",
                url=url,
                urgency=Notification.Urgency.HIGH,
            )
        later = SchoolCalendar(transfer.from_school).add_school_days(transfer.deadline, 1)
        if now >= later:
            sent += reminder_send(
                key=f"transfer-overdue:{transfer.pk}:head",
                recipients=holders(transfer.from_school, roles=[Role.HEADTEACHER]),
                school=transfer.from_school,
                title=f"Escalated: {title}",
                url=url,
                urgency=Notification.Urgency.HIGH,
            )
    return sent
