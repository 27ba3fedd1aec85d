"""Who may see, use and change a macro. One place for the rules; the API, the admin and the
picker's `permissions` flags all ask here.

See (list, read, apply):
- a personal macro: its owner;
- a team macro: members of its team, and admins;
- a global macro: every agent and admin; requesters only when it is public (`internal=False`).
  Internal macros are never visible to requesters, whatever their visibility.
Change and delete:
- personal: the owner; team: an admin or an agent of that team; global: admins.
Create: agents and admins; an agent only personal macros and team macros of their own teams.
A macro the caller may not see is a 404, like a missing one.
"""

from django.db.models import Q, QuerySet

from apps.accounts.models import Role, User
from apps.core.errors import NotFound
from apps.macros.models import Macro, Visibility


def _team_ids(user: User):
    return User.teams.through.objects.filter(user_id=user.pk).values("team_id")


def visible_macros_q(user: User) -> Q:
    own = Q(visibility=Visibility.PERSONAL, owner=user)
    if user.role == Role.ADMIN:
        return own | Q(visibility__in=[Visibility.TEAM, Visibility.GLOBAL])
    if user.role == Role.AGENT:
        return own | Q(visibility=Visibility.TEAM, team__in=_team_ids(user)) | Q(visibility=Visibility.GLOBAL)
    return Q(visibility=Visibility.GLOBAL, internal=False)


def visible_macros(user: User) -> QuerySet[Macro]:
    return Macro.objects.filter(visible_macros_q(user))


def access_macro(user: User, macro_id: int, *, for_update: bool = False) -> Macro:
    """The macro if `user` may see it, else NotFound. `for_update` locks the row (call in a transaction)."""
    if not visible_macros(user).filter(pk=macro_id).exists():
        raise NotFound("No such macro.")
    macros = Macro.objects.select_for_update() if for_update else Macro.objects.select_related("team", "owner")
    return macros.get(pk=macro_id)


def is_team_member(user: User, team_id: int | None) -> bool:
    return team_id is not None and User.teams.through.objects.filter(user_id=user.pk, team_id=team_id).exists()


def may_define(user: User, *, visibility: str, team_id: int | None) -> bool:
    """May `user` own a macro of this visibility (and team)? Creating, and changing either."""
    if user.role == Role.ADMIN:
        return True
    if user.role != Role.AGENT:
        return False
    if visibility == Visibility.PERSONAL:
        return True
    return visibility == Visibility.TEAM and is_team_member(user, team_id)


def may_change(user: User, macro: Macro, *, team_ids: frozenset[int] | None = None) -> bool:
    """May `user` edit or delete `macro` (which they can see)? `team_ids`: the user's teams, when
    the caller already has them (lists), else one query for team macros."""
    if macro.visibility == Visibility.PERSONAL:
        return macro.owner_id == user.pk
    if user.role == Role.ADMIN:
        return True
    if user.role != Role.AGENT or macro.visibility != Visibility.TEAM:
        return False
    if team_ids is not None:
        return macro.team_id in team_ids
    return is_team_member(user, macro.team_id)
