"""Reads of macros: the picker's list (search, keyset pages) with each row's `permissions` flags."""

from django.db.models import Q, QuerySet

from apps.accounts.models import User
from apps.core.pagination import Keyset, keyset_page
from apps.macros.models import Macro
from apps.macros.permissions import may_change, visible_macros

LIST_KEYSET = Keyset(fields=("name", "id"))


def _with_people(macros: QuerySet[Macro]) -> QuerySet[Macro]:
    return macros.select_related("owner", "team", "assign_user")


def with_permissions(user: User, macros: list[Macro]) -> list[Macro]:
    """Sets `macro.permissions` ({"change", "delete"}) on each, for `user`; one query for any count."""
    team_ids = frozenset(User.teams.through.objects.filter(user_id=user.pk).values_list("team_id", flat=True))
    for macro in macros:
        allowed = may_change(user, macro, team_ids=team_ids)
        macro.permissions = {"change": allowed, "delete": allowed}
    return macros


def macro_list(*, user: User, q: str | None, cursor: str | None, limit: int) -> tuple[list[Macro], str | None]:
    """Macros `user` may see, by name, a page at a time; `q` matches name or body (any letter case).
    Three queries whatever the page size (the page, the user's teams, and nothing per row)."""
    macros = _with_people(visible_macros(user))
    q = (q or "").strip()
    if q:
        macros = macros.filter(Q(name__icontains=q) | Q(body__icontains=q))
    # The cursor is bound to the search: a cursor of one search is refused by another.
    items, next_cursor = keyset_page(macros, LIST_KEYSET, scope=f"macros:{q}", cursor=cursor, limit=limit)
    return with_permissions(user, items), next_cursor


def macro_for_output(*, user: User, macro_id: int) -> Macro:
    return with_permissions(user, [_with_people(Macro.objects.all()).get(pk=macro_id)])[0]
