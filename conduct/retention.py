"""What conduct does when retention destroys a confiscation (devices'
`confiscations_destroying`, connected in ConductConfig.ready): the device's own notices go with
it, and the breaches it was confiscated for (and their notices) stay, no longer linked to it.
A breach is the child's use of a phone, never concealed and counted on the ladder for everyone
alike; only its link to a device that was evidence in a concern could be concealed, and that
link is what goes."""

from conduct.models import Breach, ParentNotice


def destroy_of_confiscations(sender, ids, **kwargs) -> None:
    # The device's own notices go; a breach's notice that also told of the device stays, as
    # its breach does, no longer naming the device.
    ParentNotice.objects.filter(confiscation_id__in=ids, breach__isnull=True).delete()
    ParentNotice.objects.filter(confiscation_id__in=ids).update(confiscation=None)
    Breach.objects.filter(confiscation_id__in=ids).update(confiscation=None)
    Breach.history.filter(confiscation_id__in=ids).update(confiscation_id=None)
