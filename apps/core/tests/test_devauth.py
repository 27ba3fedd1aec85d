"""Dev sign-in: off unless AUTH_DEV_LOGIN=1; its tokens are Clerk-shaped and go through the same verifier."""

import stat

import jwt
import pytest
from django.test import Client

from apps.accounts.models import Role, User
from apps.core import devauth
from apps.core.testing.client import ApiClient

pytestmark = pytest.mark.django_db


def _sign_in(email: str):
    return Client().post("/api/v1/auth/dev/token", {"email": email}, content_type="application/json")


@pytest.fixture
def dev_login(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.AUTH_DEV_LOGIN = True
    return tmp_path


@pytest.mark.parametrize(
    ("method", "path"),
    [("post", "/api/v1/auth/dev/token"), ("get", "/api/v1/auth/dev/jwks.json"), ("get", "/api/v1/auth/dev/users")],
)
def test_dev_sign_in_is_off_by_default(method, path):
    client = Client()
    response = (
        client.post(path, {"email": "agent@example.com"}, content_type="application/json")
        if method == "post"
        else client.get(path)
    )
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "No such endpoint.", "details": {}}


@pytest.mark.parametrize("body", ["{}", '{"email": "not-an-email"}', "{broken"])
def test_disabled_dev_sign_in_is_404_whatever_the_body(body):
    # No 422/400 that would reveal the route exists.
    response = Client().post("/api/v1/auth/dev/token", body, content_type="application/json")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_dev_token_is_clerk_shaped_and_passes_the_verifier(dev_login):
    response = _sign_in("Someone.New@Example.com")
    assert response.status_code == 200, response.content
    body = response.json()
    token = body["access_token"]
    assert body["token_type"] == "Bearer"

    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256" and header["kid"].startswith("dev-")
    claims = jwt.decode(token, options={"verify_signature": False})
    assert {"sub", "sid", "iss", "exp", "nbf", "iat", "azp", "sts", "v"} <= claims.keys()
    assert claims["sts"] == "active" and claims["v"] == 2
    assert body["expires_at"] == claims["exp"]

    me = ApiClient(token=token).get("users/me")
    assert me.status_code == 200
    assert me.json()["email"] == "someone.new@example.com"
    assert me.json()["role"] == Role.REQUESTER
    assert User.objects.filter(email="someone.new@example.com").count() == 1


def test_served_jwks_verifies_the_token_and_key_is_private_and_persistent(dev_login):
    token = _sign_in("agent@example.com").json()["access_token"]
    jwks = Client().get("/api/v1/auth/dev/jwks.json").json()
    [jwk] = jwks["keys"]
    key = jwt.PyJWK(jwk).key
    assert jwt.decode(token, key, algorithms=["RS256"], options={"verify_aud": False})["iss"] == devauth.ISSUER

    key_file = dev_login / "dev_jwt_key.pem"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    # A restarted server loads the same key, so tokens it minted before keep working.
    devauth.forget_key()
    assert ApiClient(token=token).get("users/me").status_code == 200


def test_existing_user_signs_in_as_themselves(dev_login):
    agent = User.objects.create(username="alan", email="alan@example.com", name="Alan Agent", role=Role.AGENT)
    me = ApiClient(token=_sign_in("ALAN@example.com").json()["access_token"]).get("users/me").json()
    assert me["id"] == agent.id and me["role"] == Role.AGENT
    agent.refresh_from_db()
    assert agent.clerk_id
    # The second sign-in reuses the same subject: still one user.
    ApiClient(token=_sign_in("alan@example.com").json()["access_token"]).get("users/me")
    assert User.objects.filter(email__iexact="alan@example.com").count() == 1


def test_dev_users_lists_active_users_by_role(dev_login):
    User.objects.create(username="z", email="z-admin@example.com", role=Role.ADMIN)
    User.objects.create(username="a", email="a-agent@example.com", role=Role.AGENT)
    User.objects.create(username="r", email="r-req@example.com", role=Role.REQUESTER)
    User.objects.create(username="off", email="off@example.com", is_active=False)
    users = Client().get("/api/v1/auth/dev/users").json()
    assert [u["role"] for u in users] == [Role.REQUESTER, Role.AGENT, Role.ADMIN]
    assert "off@example.com" not in {u["email"] for u in users}


def test_dev_token_stops_working_when_dev_login_is_turned_off(dev_login, settings):
    token = _sign_in("agent@example.com").json()["access_token"]
    settings.AUTH_DEV_LOGIN = False
    response = ApiClient(token=token).get("users/me")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_tampered_dev_token_is_rejected(dev_login):
    token = _sign_in("agent@example.com").json()["access_token"]
    header, _payload, signature = token.split(".")
    other = _sign_in("admin@example.com").json()["access_token"].split(".")[1]
    assert ApiClient(token=f"{header}.{other}.{signature}").get("users/me").status_code == 401


def test_dev_token_needs_a_valid_email(dev_login):
    response = _sign_in("not-an-email")
    assert response.status_code == 422
    assert "email" in response.json()["details"]["fields"]


def test_a_long_email_gets_a_subject_that_fits_and_links_like_clerk(dev_login):
    email = "a" * 64 + "@" + "b" * 60 + ".example.com"
    token = _sign_in(email).json()["access_token"]
    sub = jwt.decode(token, options={"verify_signature": False})["sub"]
    assert sub.startswith("user_dev_") and len(sub) <= User._meta.get_field("clerk_id").max_length
    me = ApiClient(token=token).get("users/me")
    assert me.status_code == 200 and me.json()["email"] == email


def test_dev_sign_in_writes_users_only_through_the_linking_service(dev_login):
    # Pre-provisioned (no Clerk id): the dev sign-in links it exactly as a first Clerk sign-in would.
    staff = User.objects.create(username="sam", email="Sam@Example.com", name="Sam Staff", role=Role.ADMIN)
    response = _sign_in("sam@example.com")
    assert response.status_code == 200
    staff.refresh_from_db()
    assert staff.clerk_id and staff.role == Role.ADMIN and staff.name == "Sam Staff"
    assert User.objects.count() == 1
