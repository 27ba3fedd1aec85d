"""Who sees and changes a saved view. Personal views: their owner only. Team views: seen by the
team's members and every admin, changed by admins only. Built-ins: agents and admins.
A view the caller may not see is a 404, exactly like a missing one; one they see but may not change
is a 403 `admin_only`."""

from django.db.models import Q

from apps.accounts.models import Role, User
from apps.core.errors import NotFound, PermissionDenied
from apps.queues.models import SavedView


def member_team_ids(user: User):
    return User.teams.through.objects.filter(user_id=user.pk).values("team_id")


def visible_views_q(user: User) -> Q:
    if user.role == Role.ADMIN:
        return Q(owner=user) | Q(team__isnull=False)
    return Q(owner=user) | Q(team__in=member_team_ids(user))


def sidebar_views_q(user: User) -> Q:
    """The views in the caller's own sidebar (and counted by GET /views/counts): their personal
    views and their teams' views — for admins too, who see (and manage) every team's besides."""
    return Q(owner=user) | Q(team__in=member_team_ids(user))


def access_view(user: User, view_id: int, *, for_update: bool = False) -> SavedView:
    """The view if `user` may see it, else NotFound. `for_update` locks its row (call in a transaction)."""
    view = SavedView.objects.filter(visible_views_q(user), pk=view_id).select_related("team").first()
    if view is None:
        raise NotFound("No such view.")
    if for_update:
        # Locked by primary key, as tickets do: no FOR UPDATE over the visibility's subqueries.
        view = SavedView.objects.select_for_update().get(pk=view_id)
    return view


def may_change(user: User, view: SavedView) -> bool:
    return view.owner_id == user.pk if view.team_id is None else user.role == Role.ADMIN


def require_may_change(user: User, view: SavedView) -> None:
    if not may_change(user, view):
        raise PermissionDenied("Only admins change team views.", code="admin_only")
