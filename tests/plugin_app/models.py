import uuid

from django.db import models

from core.models import TimeStampedModel, TransitionRecord
from schools.models import School


class Hazard(TimeStampedModel):
    """A campus hazard (隐患) with its closed loop: reported → fixing → fixed."""

    class Status(models.TextChoices):
        REPORTED = "reported"
        FIXING = "fixing"
        FIXED = "fixed"
        WITHDRAWN = "withdrawn"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=100)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.REPORTED)
    fixed_at = models.DateTimeField(null=True, blank=True)


class HazardTransition(TransitionRecord):
    hazard = models.ForeignKey(Hazard, on_delete=models.CASCADE, related_name="transitions")
