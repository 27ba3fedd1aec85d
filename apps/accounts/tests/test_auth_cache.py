"""Cached authentication in one process (apps.accounts.authcache): hits skip the database, and
every change that takes access away is honoured at once here. Across processes:
test_auth_cache_servers.py."""

import time
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts import authcache
from apps.accounts.auth import authenticate_cached
from apps.accounts.models import ApiToken, Role
from apps.accounts.services import api_token_create, team_member_remove, user_access_update
from apps.core.testing.client import ApiClient, bearer_for
from apps.core.testing.factories import make_team, make_user
from apps.tickets.services import ticket_create

pytestmark = pytest.mark.django_db


def auth_queries(client: ApiClient, path: str = "users/me") -> list[str]:
    """The queries of one request that resolve a token: an API token by prefix, a user by Clerk id."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return [q["sql"] for q in queries if any(marker in q["sql"] for marker in AUTH_QUERY_MARKERS)]


AUTH_QUERY_MARKERS = ('WHERE "accounts_apitoken"."prefix" =', 'WHERE "accounts_user"."clerk_id" =')


@pytest.fixture
def token_client(requester):
    _, secret = api_token_create(user=requester, name="script")
    return ApiClient(token=secret)


@pytest.mark.parametrize("kind", ["api_token", "session_token"])
def test_a_repeated_token_is_resolved_from_memory(settings, requester, token_client, kind):
    client = token_client if kind == "api_token" else ApiClient(requester)
    assert auth_queries(client), "the first request resolves the token in the database"
    assert auth_queries(client) == []
    # Turned off, every request asks the database again.
    settings.AUTH_CACHE_SECONDS = 0
    assert auth_queries(client)
    assert auth_queries(client)


def test_each_request_gets_its_own_user_instance(requester, token_client):
    secret = token_client.token
    first, second = authenticate_cached(secret), authenticate_cached(secret)
    assert first is not second
    assert first.pk == second.pk == requester.pk
    first.role = Role.ADMIN  # what one request does to its user stays in that request
    assert authenticate_cached(secret).role == Role.REQUESTER


def test_revocation_is_honoured_at_once_in_the_same_process(requester, token_client):
    assert token_client.get("users/me").status_code == 200
    token_id = ApiToken.objects.get(user=requester).pk
    assert ApiClient(requester).delete(f"users/me/tokens/{token_id}").status_code == 204
    refused = token_client.get("users/me")
    assert refused.status_code == 401
    assert refused.json()["code"] == "token_revoked"


def test_a_deleted_token_or_user_is_forgotten(requester, token_client):
    assert token_client.get("users/me").status_code == 200
    ApiToken.objects.filter(user=requester).delete()
    assert token_client.get("users/me").status_code == 401
    session = ApiClient(requester)
    assert session.get("users/me").status_code == 200
    deleted_id = requester.pk
    requester.delete()
    # The session token's subject is unknown now: a first sign-in makes a new account, not the old one.
    me = session.get("users/me").json()
    assert me["id"] != deleted_id


@pytest.mark.parametrize("kind", ["api_token", "session_token"])
def test_role_change_and_deactivation_are_honoured_at_once(kind):
    team = make_team("Desk")
    alan = make_user(Role.AGENT, teams=[team])
    rita = make_user(Role.REQUESTER)
    ticket = ticket_create(actor=rita, title="VPN down", team_id=team.pk)
    client = ApiClient(alan) if kind == "session_token" else ApiClient(token=api_token_create(user=alan, name="t")[1])
    assert [t["id"] for t in client.get("tickets").json()["items"]] == [ticket.pk]
    user_access_update(user=alan, role=Role.REQUESTER)
    assert client.get("tickets").json()["items"] == []
    assert client.get("users/me").json()["role"] == Role.REQUESTER
    user_access_update(user=alan, role=Role.AGENT)
    assert [t["id"] for t in client.get("tickets").json()["items"]] == [ticket.pk]
    team_member_remove(team=team, user=alan)
    assert client.get("tickets").json()["items"] == []
    user_access_update(user=alan, is_active=False)
    refused = client.get("users/me")
    assert refused.status_code == 401
    assert refused.json()["code"] == "account_disabled"


def test_a_cached_session_token_still_expires(settings, requester):
    settings.AUTH_CACHE_SECONDS = 3600
    exp = int(time.time()) + 30
    client = ApiClient(token=bearer_for(requester, exp=exp))
    assert client.get("users/me").status_code == 200
    assert auth_queries(client) == []
    # The verifier's leeway: still accepted just before exp + leeway, refused from then on.
    with time_machine.travel(exp + settings.CLERK_LEEWAY_SECONDS - 0.5, tick=False):
        assert auth_queries(client) == []
    with time_machine.travel(exp + settings.CLERK_LEEWAY_SECONDS, tick=False):
        refused = client.get("users/me")
    assert refused.status_code == 401
    assert refused.json()["code"] == "token_expired"


def test_a_cached_api_token_still_expires(settings, requester):
    settings.AUTH_CACHE_SECONDS = 3600
    expires = timezone.now() + timedelta(minutes=10)
    _, secret = api_token_create(user=requester, name="short", expires_at=expires)
    client = ApiClient(token=secret)
    assert client.get("users/me").status_code == 200
    with time_machine.travel(expires - timedelta(seconds=1), tick=False):
        assert auth_queries(client) == []
    with time_machine.travel(expires, tick=False):
        refused = client.get("users/me")
    assert refused.status_code == 401
    assert refused.json()["code"] == "token_expired"


def test_entries_live_at_most_auth_cache_seconds(settings, requester, token_client):
    settings.AUTH_CACHE_SECONDS = 10
    assert auth_queries(token_client)
    with time_machine.travel(timezone.now() + timedelta(seconds=9), tick=False):
        assert auth_queries(token_client) == []
    with time_machine.travel(timezone.now() + timedelta(seconds=10), tick=False):
        assert auth_queries(token_client)


def test_a_change_made_by_another_process_is_seen_at_the_next_sync(settings, requester, token_client):
    """Another process changed the database (no signal here) and then moved the shared generation."""
    settings.AUTH_CACHE_SECONDS = 3600
    settings.AUTH_CACHE_SYNC_SECONDS = 0  # read the generation on every request
    assert token_client.get("users/me").status_code == 200
    ApiToken.objects.filter(user=requester).update(revoked_at=timezone.now())
    # Until the other process's commit moves the generation, this process still serves its entry:
    # the window AUTH_CACHE_SYNC_SECONDS bounds.
    assert token_client.get("users/me").status_code == 200
    cache.add(authcache.GENERATION_KEY, 0, timeout=None)
    cache.incr(authcache.GENERATION_KEY)
    refused = token_client.get("users/me")
    assert refused.status_code == 401
    assert refused.json()["code"] == "token_revoked"


def test_changes_here_move_the_shared_generation_after_commit(django_capture_on_commit_callbacks, requester):
    before = cache.get(authcache.GENERATION_KEY) or 0
    with django_capture_on_commit_callbacks(execute=True):
        user_access_update(user=requester, role=Role.AGENT)
    assert cache.get(authcache.GENERATION_KEY) == before + 1


def test_without_a_readable_shared_cache_nothing_is_served_from_memory(settings, monkeypatch, requester, token_client):
    settings.AUTH_CACHE_SYNC_SECONDS = 0

    class Unreachable:
        def get(self, *args, **kwargs):
            raise ConnectionError("Redis is down")

    assert token_client.get("users/me").status_code == 200
    monkeypatch.setattr(authcache, "cache", Unreachable())
    assert auth_queries(token_client)
    assert auth_queries(token_client), "every request goes to the database while the generation is unreadable"
    ApiToken.objects.filter(user=requester).update(revoked_at=timezone.now())
    assert token_client.get("users/me").status_code == 401


def test_a_resolution_that_raced_with_a_change_is_not_kept(requester):
    epoch = authcache.current_epoch()
    authcache.forget_here()  # a change committed while the token was being resolved
    authcache.store("hd_raced_token", requester, epoch=epoch, token_expires_at=None)
    assert authcache.lookup("hd_raced_token") is None
    authcache.store("hd_raced_token", requester, epoch=authcache.current_epoch(), token_expires_at=None)
    assert authcache.lookup("hd_raced_token").user().pk == requester.pk


def test_refusals_are_not_cached(requester, token_client):
    forged = token_client.token[:-4] + "AAAA"
    for _ in range(2):
        refused = ApiClient(token=forged).get("users/me")
        assert refused.status_code == 401
        assert refused.json()["code"] == "invalid_token"
    assert authcache.lookup(forged) is None
