from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts.models import ApiToken, Role
from apps.core.testing.client import ApiClient
from apps.core.testing.factories import make_team, make_user

pytestmark = pytest.mark.django_db


def test_me_returns_the_caller_with_teams(api, agent, team):
    response = api(agent).get("users/me")
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == "alan@example.com"
    assert body["name"] == "Alan Agent"
    assert body["role"] == Role.AGENT
    assert body["teams"] == [{"id": team.id, "name": "Service Desk"}]
    assert body["is_staff"] is False


def test_user_search_matches_email_name_and_handle(api, requester):
    make_user(name="Bob Builder", email="bob@builders.example", username="bobb")
    make_user(name="Carla Cook", email="carla@example.com", username="kitchen")
    make_user(name="Bob Inactive", email="bob2@example.com", is_active=False)
    client = api(requester)

    def names(search):
        response = client.get("users", {"search": search})
        assert response.status_code == 200
        return sorted(u["name"] for u in response.json())

    assert names("bob") == ["Bob Builder"]
    assert names("builders.example") == ["Bob Builder"]
    assert names("kitchen") == ["Carla Cook"]
    assert names("zzz") == []
    assert "Rita Requester" in names("")
    assert set(client.get("users").json()[0]) == {"id", "email", "name", "username", "role"}


def test_user_search_limit_and_validation(api, requester):
    for n in range(5):
        make_user(name=f"Many {n}")
    client = api(requester)
    assert len(client.get("users", {"search": "many", "limit": 3}).json()) == 3
    bad = client.get("users", {"limit": 0})
    assert bad.status_code == 422
    assert bad.json()["code"] == "validation_error"
    assert "limit" in bad.json()["details"]["fields"]


def test_teams_list_members_and_lead(api, requester):
    lead = make_user(Role.AGENT, name="Lena Lead")
    member = make_user(Role.AGENT, name="Mo Member")
    make_team("Facilities")
    make_team("Network", members=[lead, member], lead=lead)
    response = api(requester).get("teams")
    assert response.status_code == 200
    teams = {t["name"]: t for t in response.json()}
    assert set(teams) == {"Facilities", "Network"}
    assert teams["Network"]["lead"]["name"] == "Lena Lead"
    assert [m["name"] for m in teams["Network"]["members"]] == ["Lena Lead", "Mo Member"]
    assert teams["Facilities"]["lead"] is None and teams["Facilities"]["members"] == []


def _teams_query_count(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("teams").status_code == 200
    return len(queries)


def test_teams_query_count_is_constant_in_teams_and_members(api, requester):
    client = api(requester)
    client.get("users/me")  # provisioning queries happen on first sight only
    lead = make_user(Role.AGENT)
    make_team(members=[lead], lead=lead)
    few = _teams_query_count(client)
    for _ in range(10):
        members = [make_user(Role.AGENT) for _ in range(4)]
        make_team(members=members, lead=members[0])
    assert _teams_query_count(client) == few


def test_user_search_query_count_is_constant(api, requester):
    client = api(requester)
    client.get("users/me")
    with CaptureQueriesContext(connection) as before:
        client.get("users")
    for _ in range(15):
        make_user()
    with CaptureQueriesContext(connection) as after:
        assert len(client.get("users").json()) == 16
    assert len(after) == len(before)


def test_api_token_lifecycle_create_use_list_revoke(api, requester):
    session = api(requester)
    created = session.post("users/me/tokens", {"name": "nightly export"})
    assert created.status_code == 201, created.content
    secret = created.json()["secret"]
    token_id = created.json()["id"]
    prefix = created.json()["prefix"]
    assert secret.startswith(f"hd_{prefix}_")

    # Only a hash is stored.
    stored = ApiToken.objects.get(pk=token_id)
    assert secret not in {stored.secret_hash, stored.prefix, stored.name}
    assert stored.last_used_at is None

    script = ApiClient(token=secret)
    me = script.get("users/me")
    assert me.status_code == 200
    assert me.json()["id"] == requester.id
    stored.refresh_from_db()
    assert stored.last_used_at is not None

    listed = session.get("users/me/tokens")
    assert listed.status_code == 200
    [item] = listed.json()
    assert item["prefix"] == prefix and item["name"] == "nightly export"
    assert "secret" not in item
    assert secret not in listed.content.decode()
    assert secret.split("_", 2)[2] not in listed.content.decode()

    assert session.delete(f"users/me/tokens/{token_id}").status_code == 204
    revoked = script.get("users/me")
    assert revoked.status_code == 401
    assert revoked["WWW-Authenticate"].startswith("Bearer")
    assert revoked.json()["code"] == "token_revoked"
    assert session.get("users/me/tokens").json()[0]["revoked_at"] is not None
    # Revoking twice is harmless.
    assert session.delete(f"users/me/tokens/{token_id}").status_code == 204


def test_api_token_of_someone_else_cannot_be_listed_or_revoked(api, requester, agent):
    created = api(requester).post("users/me/tokens", {"name": "mine"}).json()
    assert api(agent).get("users/me/tokens").json() == []
    response = api(agent).delete(f"users/me/tokens/{created['id']}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert ApiClient(token=created["secret"]).get("users/me").status_code == 200


def test_api_token_expiry(api, requester):
    expires = timezone.now() + timedelta(hours=1)
    created = api(requester).post("users/me/tokens", {"name": "short", "expires_at": expires.isoformat()})
    assert created.status_code == 201
    secret = created.json()["secret"]
    assert ApiClient(token=secret).get("users/me").status_code == 200
    # Time passes (the token's expiry can't be changed after creation; a process may hold it resolved).
    with time_machine.travel(expires + timedelta(seconds=1), tick=False):
        expired = ApiClient(token=secret).get("users/me")
    assert expired.status_code == 401
    assert expired.json()["code"] == "token_expired"


def test_api_token_expiry_in_the_past_is_a_422(api, requester):
    response = api(requester).post(
        "users/me/tokens", {"name": "x", "expires_at": (timezone.now() - timedelta(days=1)).isoformat()}
    )
    assert response.status_code == 422
    assert "expires_at" in response.json()["details"]["fields"]
    blank = api(requester).post("users/me/tokens", {"name": "   "})
    assert blank.status_code == 422
    assert "name" in blank.json()["details"]["fields"]
    missing = api(requester).post("users/me/tokens", {})
    assert missing.status_code == 422
    assert "name" in missing.json()["details"]["fields"]


@pytest.mark.parametrize("cache_seconds", [0, 3600], ids=["uncached", "cached"])
def test_last_used_at_is_written_at_most_once_a_minute(api, requester, settings, cache_seconds):
    # Also while the process keeps the token resolved (apps.accounts.authcache) past the minute.
    settings.AUTH_CACHE_SECONDS = cache_seconds
    created = api(requester).post("users/me/tokens", {"name": "busy"}).json()
    script = ApiClient(token=created["secret"])
    script.get("users/me")
    first = ApiToken.objects.get(pk=created["id"]).last_used_at
    assert first is not None
    script.get("users/me")
    assert ApiToken.objects.get(pk=created["id"]).last_used_at == first
    with time_machine.travel(first + timedelta(seconds=61), tick=False):
        assert script.get("users/me").status_code == 200
    assert ApiToken.objects.get(pk=created["id"]).last_used_at == first + timedelta(seconds=61)


@pytest.mark.parametrize("forged", ["hd_", "hd_nope", "hd_deadbeef_wrongsecret", "hd_deadbeef_" + "x" * 43])
def test_unknown_or_wrong_api_token_is_401(api, requester, forged):
    real = api(requester).post("users/me/tokens", {"name": "real"}).json()
    if forged.startswith("hd_deadbeef"):
        forged = forged.replace("deadbeef", real["prefix"])
    response = ApiClient(token=forged).get("users/me")
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


def test_api_token_of_a_disabled_user_is_401(api, requester):
    secret = api(requester).post("users/me/tokens", {"name": "t"}).json()["secret"]
    requester.is_active = False
    requester.save()
    assert ApiClient(token=secret).get("users/me").status_code == 401


def test_user_endpoints_need_authentication():
    for path in ["users/me", "users", "teams", "users/me/tokens"]:
        response = ApiClient().get(path)
        assert response.status_code == 401, path
        assert response.json()["code"] == "not_authenticated"
