"""What transfers does when retention destroys a learner's records: the imports that brought
them keep no copy of them. An import's `manifest` is the package's JSON as received (without
the files): the records' texts and who recorded them at the sending school. Once retention
destroys the learner's concerns or confiscations, the manifest is cut down to what it
counted, so that no copy outlives the records (a record destroyed must be destroyed
everywhere, as the DSL approved)."""

from django.db.models import Q

from devices.models import Confiscation
from incidents.models import Involvement
from transfers.models import PackageImport


def stripped(manifest: dict) -> dict:
    """What an import keeps of its package once the records are destroyed: how many of each."""
    return {
        "destroyed": True,
        **{
            f"{key}_count": len(value) for key, value in manifest.items() if isinstance(value, list)
        },
    }


def _strip_for_learners(learner_ids) -> None:
    imports = PackageImport.objects.filter(
        Q(learner_id__in=learner_ids), ~Q(manifest__has_key="destroyed")
    )
    for done in imports:
        done.manifest = stripped(done.manifest)
        done.save(update_fields=["manifest"])


def concerns_destroying(sender, ids, **kwargs) -> None:
    learners = Involvement.objects.filter(concern_id__in=ids, learner__isnull=False)
    _strip_for_learners(set(learners.values_list("learner_id", flat=True)))


def confiscations_destroying(sender, ids, **kwargs) -> None:
    learners = Confiscation.objects.filter(pk__in=ids, learner__isnull=False)
    _strip_for_learners(set(learners.values_list("learner_id", flat=True)))
