"""Every write to saved views (REST and the Django admin call these). Keyword-only, atomic, row-locked."""

from django.db import transaction

from apps.accounts.models import Role, Team, User
from apps.core.errors import Conflict, PermissionDenied, ValidationFailed
from apps.core.events import broadcast_on_commit
from apps.queues.filters import normalise_filters
from apps.queues.models import COLUMNS, DEFAULT_COLUMNS, SavedView
from apps.queues.permissions import access_view, require_may_change

# A sidebar stays short, and the counts of all of a user's views are one bounded query.
MAX_PERSONAL_VIEWS = 50
MAX_TEAM_VIEWS = 20
VIEW_CHANGED = "view.changed"


def _columns(columns: list[str] | tuple[str, ...] | None) -> list[str]:
    """The chosen columns in order (the API's schema already admits only known, distinct ones)."""
    if columns is None:
        return list(DEFAULT_COLUMNS)
    unknown = [column for column in columns if column not in COLUMNS]
    if unknown or not columns or len(set(columns)) != len(columns):
        raise ValidationFailed({"columns": f"Choose distinct columns among {', '.join(COLUMNS)}."})
    return list(columns)


def _announce(view: SavedView, *, deleted: bool = False) -> None:
    """`view.changed` on the `user:` topic of everyone whose sidebar shows the view: the sidebar reloads."""
    if view.team_id is None:
        user_ids = [view.owner_id]
    else:
        user_ids = list(User.teams.through.objects.filter(team_id=view.team_id).values_list("user_id", flat=True))
    data = {"view": {"id": view.pk, "key": str(view.pk)}, "deleted": deleted}
    broadcast_on_commit(VIEW_CHANGED, data, topics=[f"user:{user_id}" for user_id in user_ids])


@transaction.atomic
def view_create(
    *,
    actor: User,
    name: str,
    filters: str = "",
    ordering: str = "",
    columns: list[str] | None = None,
    team_id: int | None = None,
) -> SavedView:
    """A personal view of `actor`, or with `team_id` a team view (admins only: 403 `admin_only`).
    `filters` is the list's query string (422 `filters.<name>` as the list would answer); over
    MAX_PERSONAL_VIEWS / MAX_TEAM_VIEWS is a 409 `too_many_views`."""
    team = None
    if team_id is not None:
        if actor.role != Role.ADMIN:
            raise PermissionDenied("Only admins define team views.", code="admin_only")
        team = Team.objects.select_for_update().filter(pk=team_id).first()
        if team is None:
            raise ValidationFailed({"team_id": "No such team."})
        existing, limit = SavedView.objects.filter(team=team).count(), MAX_TEAM_VIEWS
    else:
        User.objects.select_for_update().filter(pk=actor.pk).first()  # serialises the count below
        existing, limit = SavedView.objects.filter(owner=actor).count(), MAX_PERSONAL_VIEWS
    if existing >= limit:
        raise Conflict(f"At most {limit} views here; delete one first.", code="too_many_views")
    view = SavedView.objects.create(
        name=name.strip(),
        owner=None if team else actor,
        team=team,
        filters=normalise_filters(filters),
        ordering=ordering or "",
        columns=_columns(columns),
        created_by=actor,
    )
    _announce(view)
    return view


@transaction.atomic
def view_update(*, actor: User, view_id: int, changes: dict) -> SavedView:
    """Changes `name`, `filters`, `ordering`, `columns` (only those given). 404 if unseen, 403 if
    seen but not the actor's to change."""
    view = access_view(actor, view_id, for_update=True)
    require_may_change(actor, view)
    if "name" in changes:
        view.name = changes["name"].strip()
    if "filters" in changes:
        view.filters = normalise_filters(changes["filters"])
    if "ordering" in changes:
        view.ordering = changes["ordering"] or ""
    if "columns" in changes:
        view.columns = _columns(changes["columns"])
    view.save()
    _announce(view)
    return view


@transaction.atomic
def view_delete(*, actor: User, view_id: int) -> None:
    view = access_view(actor, view_id, for_update=True)
    require_may_change(actor, view)
    _announce(view, deleted=True)
    view.delete()
