import itertools

from apps.accounts.models import Role, Team, User

_seq = itertools.count(1)


def make_user(role: str = Role.REQUESTER, *, teams: list[Team] | tuple = (), **fields) -> User:
    n = next(_seq)
    fields.setdefault("username", f"user{n}")
    fields.setdefault("email", f"user{n}@example.com")
    fields.setdefault("name", f"User {n}")
    fields.setdefault("clerk_id", f"user_test_{n}")
    user = User.objects.create(role=role, **fields)
    for team in teams:
        team.members.add(user)
    return user


def make_team(name: str | None = None, *, members: list[User] | tuple = (), lead: User | None = None) -> Team:
    team = Team.objects.create(name=name or f"Team {next(_seq)}", lead=lead)
    if members:
        team.members.add(*members)
    return team
