"""What conduct does when retention destroys a confiscation (devices'
`confiscations_destroying`, connected in ConductConfig.ready): every parent notice about it goes
with it, and the breaches it was confiscated for stay, no longer linked to it. A breach is the
child's use of a phone, never concealed and counted on the ladder for everyone alike; only its
link to a device that was evidence in a concern could be concealed, and that link is what goes."""

from conduct.models import Breach, ParentNotice


def destroy_of_confiscations(sender, ids, **kwargs) -> None:
    ParentNotice.objects.filter(confiscation_id__in=ids).delete()
    Breach.objects.filter(confiscation_id__in=ids).update(confiscation=None)
    Breach.history.filter(confiscation_id__in=ids).update(confiscation_id=None)
