from django.db.models import Prefetch, Q, QuerySet

from apps.accounts.models import ApiToken, Team, User


def user_search(*, search: str = "", limit: int = 20) -> QuerySet[User]:
    users = User.objects.filter(is_active=True)
    search = search.strip()
    if search:
        users = users.filter(Q(email__icontains=search) | Q(name__icontains=search) | Q(username__icontains=search))
    return users.order_by("name", "email")[:limit]


def team_list() -> QuerySet[Team]:
    return Team.objects.select_related("lead").prefetch_related(
        Prefetch("members", queryset=User.objects.order_by("name", "email"))
    )


def user_with_teams(user: User) -> User:
    return User.objects.prefetch_related("teams").get(pk=user.pk)


def api_token_list(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user)
