"""Runs inside `manage.py shell` of a live cluster (see live_cluster.Cluster.seed).

Spec (JSON in LIVE_SEED_SPEC):
    {"teams": ["Service Desk"],
     "users": [{"key": "alan", "role": "agent", "teams": ["Service Desk"]}, ...],
     "bulk_users": {"prefix": "bench", "count": 500, "role": "agent", "teams": ["Service Desk"]},
     "tickets": [{"key": "vpn", "requester": "rita", "team": "Service Desk", "title": "VPN down"}],
     "team_member_remove": [{"team": "Service Desk", "user_id": 7}]}
Prints one JSON line: {"users": {key: {"id", "clerk_id", "token"}}, "tickets": {key: id}}.
Every user gets a personal API token; each also has a clerk_id, so fake-Clerk tokens work as well.
"""

import json
import os

from django.db import transaction


@transaction.atomic
def seed(spec: dict) -> dict:
    from apps.accounts.models import Team, User
    from apps.accounts.services import api_token_create, team_member_remove, team_members_set
    from apps.tickets.services import ticket_create

    teams = {name: Team.objects.get_or_create(name=name)[0] for name in spec.get("teams", [])}
    wanted = list(spec.get("users", []))
    bulk = spec.get("bulk_users")
    if bulk:
        wanted += [
            {"key": f"{bulk['prefix']}{n}", "role": bulk["role"], "teams": bulk.get("teams", [])}
            for n in range(bulk["count"])
        ]
    run = os.urandom(4).hex()
    users = User.objects.bulk_create(
        User(
            username=f"{item['key']}-{run}",
            email=f"{item['key']}-{run}@example.com",
            name=item["key"].title(),
            clerk_id=f"user_live_{item['key']}_{run}",
            role=item["role"],
        )
        for item in wanted
    )
    by_key = dict(zip((item["key"] for item in wanted), users, strict=True))
    for name, team in teams.items():
        joining = [user for item, user in zip(wanted, users, strict=True) if name in item.get("teams", [])]
        if joining:
            team_members_set(team=team, members=[*team.members.all(), *joining])
    out_users = {}
    for key, user in by_key.items():
        _, secret = api_token_create(user=user, name="live")
        out_users[key] = {"id": user.pk, "clerk_id": user.clerk_id, "token": secret}
    tickets = {}
    for item in spec.get("tickets", []):
        team = teams.get(item.get("team"))
        ticket = ticket_create(
            actor=by_key[item["requester"]], title=item.get("title", item["key"]), team_id=team.pk if team else None
        )
        tickets[item["key"]] = ticket.pk
    for item in spec.get("team_member_remove", []):
        team_member_remove(team=Team.objects.get(name=item["team"]), user=User.objects.get(pk=item["user_id"]))
    return {"users": out_users, "tickets": tickets}


def main() -> None:
    print(json.dumps(seed(json.loads(os.environ["LIVE_SEED_SPEC"]))))
