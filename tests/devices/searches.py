"""A search made through the service, as a member of staff records one (for the tests)."""

from datetime import timedelta

from django.utils import timezone

from devices import services
from devices.models import Search, SearchConsent


def search(learner, by, *, witness=None, **fields) -> Search:
    values = {
        "searched_at": timezone.now() - timedelta(minutes=10),
        "place": "Head's office",
        "grounds": "Seen filming in the toilets by two pupils",
        "consent": SearchConsent.AGREED,
        "searched_bag": True,
        "witness": witness,
        "witness_same_sex": witness is not None,
        **fields,
    }
    return services.search_record(
        search=Search(
            school_id=learner.school_id, learner=learner, searched_by=by, recorded_by=by, **values
        )
    )
