"""What conduct destroys with a confiscation that retention destroys (devices'
`confiscations_destroying`, connected in ConductConfig.ready): the breaches linked to it and
every parent notice about either. Left behind, unlinked, a breach that was hidden with the
concern its confiscation belonged to would appear the day the concern went."""

from django.db.models import Q

from conduct.models import Breach, ParentNotice
from roper.retention import destroy_with_history


def destroy_of_confiscations(sender, ids, **kwargs) -> None:
    breaches = list(Breach.objects.filter(confiscation_id__in=ids).values_list("pk", flat=True))
    ParentNotice.objects.filter(Q(confiscation_id__in=ids) | Q(breach_id__in=breaches)).delete()
    destroy_with_history(Breach.objects.filter(pk__in=breaches))
