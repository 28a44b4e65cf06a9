"""Governor reports: per-school settings (the small-number threshold) and the named
governor's commentary on a term's report. The figures themselves are never stored: they are
computed from the other apps' records (`reports/figures.py`)."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

#: Counts from 1 to this number are shown as "fewer than <threshold + 1>".
DEFAULT_THRESHOLD = 2


class ReportSettings(models.Model):
    school = models.OneToOneField(
        "people.School", on_delete=models.CASCADE, related_name="report_settings"
    )
    suppression_threshold = models.PositiveSmallIntegerField(
        "small-number threshold",
        default=DEFAULT_THRESHOLD,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text="Counts from 1 to this number are shown as “fewer than …” in reports.",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "report settings"
        verbose_name_plural = "report settings"

    def __str__(self):
        return f"Report settings of {self.school}"


class Commentary(models.Model):
    """The named governor's commentary on one term's report of one school."""

    school = models.ForeignKey("people.School", on_delete=models.CASCADE, related_name="+")
    term = models.ForeignKey("people.Term", on_delete=models.CASCADE, related_name="+")
    text = models.TextField("commentary", blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "commentaries"
        constraints = [
            models.UniqueConstraint(fields=["school", "term"], name="commentary_one_per_term"),
        ]

    def __str__(self):
        return f"Commentary on {self.term} at {self.school}"

    @classmethod
    def of(cls, term) -> "Commentary | None":
        """The commentary on a term's report (of the term's school), if written."""
        return cls.objects.filter(school_id=term.school_id, term=term).first()
