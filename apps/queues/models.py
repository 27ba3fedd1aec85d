from django.conf import settings
from django.db import models
from django.db.models import Q

# What a queue table can show (docs/queues.md); a view keeps the ones its owner chose, in order.
COLUMNS = (
    "number",
    "title",
    "status",
    "priority",
    "requester",
    "assignee",
    "team",
    "sla",
    "updated",
    "created",
    "type",
    "tags",
    "due",
)
DEFAULT_COLUMNS = COLUMNS[:9]


class SavedView(models.Model):
    """A saved queue: the ticket list's filters (its query string), an ordering and the columns shown.

    Personal (`owner` set) or a team's (`team` set, defined by admins). Written only by
    apps.queues.services; the built-in views are code (apps.queues.views), not rows.
    """

    name = models.CharField(max_length=100)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="saved_views"
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="saved_views"
    )
    # The list's query string, as apps.queues.filters.parse_filters normalised it ("" = every ticket).
    filters = models.CharField(max_length=2000, blank=True)
    ordering = models.CharField(max_length=20, blank=True)  # one of the list's orderings, or "" (its default)
    columns = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(owner__isnull=False, team__isnull=True) | Q(owner__isnull=True, team__isnull=False),
                name="savedview_personal_or_team",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def scope(self) -> str:
        return "team" if self.team_id else "personal"
