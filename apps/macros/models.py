from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.tickets.models import Priority, Status


class Visibility(models.TextChoices):
    PERSONAL = "personal", "Personal (only its owner)"
    TEAM = "team", "Team (members of its team)"
    GLOBAL = "global", "Global (everyone who may use it)"


class AssignAction(models.TextChoices):
    ME = "me", "The person applying it"
    NOBODY = "nobody", "Nobody (unassign)"
    USER = "user", "A named person"


class Macro(models.Model):
    """A canned reply: a body with placeholders (apps.macros.placeholders) and optional actions.

    Written only by apps.macros.services (API and admin alike). `internal` macros post an internal
    note and are never shown to requesters; who sees a macro is apps.macros.permissions.
    """

    name = models.CharField(max_length=100)
    body = models.TextField(max_length=20000, help_text="Markdown with {{placeholders}} (docs/macros.md)")
    internal = models.BooleanField(default=False, help_text="Posts an internal note (staff only)")
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.PERSONAL)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="macros")
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="macros")
    set_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    set_priority = models.PositiveSmallIntegerField(choices=Priority.choices, null=True, blank=True)
    assign = models.CharField(max_length=10, choices=AssignAction.choices, blank=True)
    assign_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["name", "id"], name="macro_name_id")]
        constraints = [
            models.CheckConstraint(
                condition=Q(visibility="team", team__isnull=False) | ~Q(visibility="team") & Q(team__isnull=True),
                name="macro_team_iff_team_visibility",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def priority_name(self) -> str | None:
        return Priority(self.set_priority).label if self.set_priority else None
