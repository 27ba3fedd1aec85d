"""Staff manage users, teams and tokens in the Django admin, signed in with a password."""

import pytest
from django.test import Client

from apps.accounts.models import ApiToken, Role, User
from apps.accounts.services import api_token_create
from apps.core.testing.client import ApiClient
from apps.core.testing.events import EventRecorder
from apps.core.testing.factories import make_team, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The default PBKDF2 is deliberately slow; these tests are about the admin, not the hash.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def staff_client():
    User.objects.create_superuser(username="boss", email="boss@example.com", password="s3cret-pass")
    client = Client()
    response = client.post("/admin/login/?next=/admin/", {"username": "boss", "password": "s3cret-pass"})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    return client


def test_wrong_password_does_not_sign_in():
    User.objects.create_superuser(username="boss", email="boss@example.com", password="s3cret-pass")
    response = Client().post("/admin/login/", {"username": "boss", "password": "nope"})
    assert response.status_code == 200
    assert Client().get("/admin/").status_code == 302


def test_changelists_for_users_teams_and_tokens(staff_client, requester):
    make_team("Network", members=[make_user(Role.AGENT)])
    api_token_create(user=requester, name="script")
    for path, text in [
        ("/admin/accounts/user/", "rita@example.com"),
        ("/admin/accounts/team/", "Network"),
        ("/admin/accounts/apitoken/", "script"),
    ]:
        response = staff_client.get(path)
        assert response.status_code == 200, path
        assert text in response.content.decode()
    assert staff_client.get("/admin/accounts/user/?q=rita").status_code == 200


def test_tokens_cannot_be_created_in_the_admin_and_the_hash_is_never_shown(staff_client, requester):
    token, secret = api_token_create(user=requester, name="script")
    assert staff_client.get("/admin/accounts/apitoken/add/").status_code == 403
    page = staff_client.get(f"/admin/accounts/apitoken/{token.pk}/change/").content.decode()
    assert token.secret_hash not in page and secret not in page


def test_revoke_action_makes_the_token_stop_working(staff_client, requester):
    token, secret = api_token_create(user=requester, name="script")
    assert ApiClient(token=secret).get("users/me").status_code == 200
    response = staff_client.post(
        "/admin/accounts/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}, follow=True
    )
    assert "Revoked 1 token(s)." in response.content.decode()
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert ApiClient(token=secret).get("users/me").status_code == 401


def test_role_change_in_the_admin_takes_effect_in_the_api(staff_client, requester):
    page = staff_client.get(f"/admin/accounts/user/{requester.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "password"}
    data.update(
        role=Role.AGENT,
        groups=[],
        user_permissions=[],
        last_login_0="",
        last_login_1="",
        date_joined_0="2026-01-01",
        date_joined_1="00:00:00",
    )
    data = {key: value for key, value in data.items() if key not in {"last_login", "date_joined"}}
    response = staff_client.post(f"/admin/accounts/user/{requester.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    assert ApiClient(requester).get("users/me").json()["role"] == Role.AGENT


@pytest.mark.django_db(transaction=True)
def test_revoke_action_tells_open_sockets_like_the_api_does(staff_client, requester):
    """Through api_token_revoke: the owner's sockets hear access.changed and re-check the token."""
    token, _ = api_token_create(user=requester, name="script")
    recorder = EventRecorder(f"user:{requester.pk}")
    first = staff_client.post(
        "/admin/accounts/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}, follow=True
    )
    assert "Revoked 1 token(s)." in first.content.decode()
    assert recorder.events() == [(f"user:{requester.pk}", "access.changed")]
    again = staff_client.post(
        "/admin/accounts/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}, follow=True
    )
    assert "token(s)." not in again.content.decode()  # already revoked: nothing to do, nobody told
    assert recorder.events() == []
