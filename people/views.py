from django.db.models import Prefetch, Q
from django.views.generic import DetailView, ListView

from people.models import Guardianship, Learner
from roper.permissions import PermissionMixin


class LearnerListView(PermissionMixin, ListView):
    permission = "learners.view"
    model = Learner
    paginate_by = 50
    template_name = "people/learner_list.html"

    def get_queryset(self):
        qs = super().get_queryset().filter(active=True).select_related("school")
        query = self.request.GET.get("q", "").strip()
        if query:
            qs = qs.filter(
                Q(legal_first_name__icontains=query)
                | Q(legal_last_name__icontains=query)
                | Q(preferred_name__icontains=query)
                | Q(class_name__iexact=query)
                | Q(upn__iexact=query)
            )
        return qs

    def get_context_data(self, **kwargs):
        return super().get_context_data(q=self.request.GET.get("q", ""), **kwargs)


class LearnerDetailView(PermissionMixin, DetailView):
    permission = "learners.view"
    model = Learner
    template_name = "people/learner_detail.html"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("school")
            .prefetch_related(
                Prefetch(
                    "guardianships",
                    queryset=Guardianship.objects.select_related("guardian").order_by(
                        "-may_collect", "guardian__name"
                    ),
                )
            )
        )
