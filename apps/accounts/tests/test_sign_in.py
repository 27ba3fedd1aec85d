"""First sign-in links a pre-provisioned account by email; claims that don't fit a user column
are refused (identifiers) or cut to fit (display name) — never a 500, never a second account."""

import logging

import pytest
from django.test import Client

from apps.accounts.models import ApiToken, Role, User
from apps.accounts.services import api_token_create, user_provision_from_session
from apps.core.errors import AuthenticationFailed
from apps.core.testing.client import ApiClient
from apps.core.testing.concurrency import run_concurrently
from apps.core.testing.factories import make_team, make_user
from apps.core.testing.markers import requires_postgres
from apps.core.testing.plugin import fake_clerk

ME = "users/me"


def _sign_in(sub: str, **claims):
    return ApiClient(token=fake_clerk.token(sub, **claims)).get(ME)


@pytest.fixture
def staff_client(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    User.objects.create_superuser(username="boss", email="boss@example.com", password="s3cret-pass")
    client = Client()
    assert client.post("/admin/login/", {"username": "boss", "password": "s3cret-pass"}).status_code == 302
    return client


def _admin_adds_agent(staff_client, *, email: str) -> User:
    response = staff_client.post(
        "/admin/accounts/user/add/",
        {
            "username": "nina",
            "usable_password": "false",
            "password1": "",
            "password2": "",
            "email": email,
            "name": "Nina Network",
            "role": Role.AGENT,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return User.objects.get(username="nina")


@pytest.mark.django_db
def test_an_agent_provisioned_in_the_admin_keeps_role_teams_and_tokens_on_first_clerk_sign_in(staff_client):
    nina = _admin_adds_agent(staff_client, email="Nina@Example.com")
    response = staff_client.post("/admin/accounts/team/add/", {"name": "Network", "members": [nina.pk]})
    assert response.status_code == 302, response.content.decode()[:2000]
    _, script_secret = api_token_create(user=nina, name="script")
    assert nina.clerk_id is None

    first = _sign_in("user_2nina", email="nina@example.com", name="Nina N.")
    assert first.status_code == 200, first.content
    assert first.json()["id"] == nina.pk
    assert first.json()["role"] == Role.AGENT
    nina.refresh_from_db()
    assert nina.clerk_id == "user_2nina"
    assert list(nina.teams.values_list("name", flat=True)) == ["Network"]
    assert User.objects.filter(email__iexact="nina@example.com").count() == 1
    # Her API token still works, and later sign-ins are the same account.
    assert ApiClient(token=script_secret).get(ME).json()["id"] == nina.pk
    assert ApiToken.objects.filter(user=nina).count() == 1
    assert _sign_in("user_2nina", email="nina@example.com").json()["id"] == nina.pk
    # Agents see their team's tickets: the role works through the API, not only in the row.
    assert ApiClient(nina).get("tickets").status_code == 200


@pytest.mark.django_db
def test_an_email_already_linked_to_another_sign_in_is_refused_and_logged(caplog):
    owner = make_user(Role.AGENT, email="owner@example.com", clerk_id="user_owner")
    with caplog.at_level(logging.INFO, logger="apps.auth"):
        response = _sign_in("user_intruder", email="OWNER@example.com", name="Intruder")
    assert response.status_code == 401
    assert response.json()["code"] == "account_conflict"
    assert "already linked" in response.json()["message"]
    assert any("account_conflict" in r.getMessage() and "user_intruder" in r.getMessage() for r in caplog.records)
    assert not User.objects.filter(clerk_id="user_intruder").exists()
    assert User.objects.filter(email__iexact="owner@example.com").count() == 1
    owner.refresh_from_db()
    assert owner.clerk_id == "user_owner" and owner.name != "Intruder"


@pytest.mark.django_db
def test_a_new_email_creates_a_requester_and_no_email_claim_creates_one_without_email():
    response = _sign_in("user_fresh", email="fresh@example.com", name="Fresh")
    assert response.status_code == 200 and response.json()["role"] == Role.REQUESTER
    anonymous = _sign_in("user_noemail")
    assert anonymous.status_code == 200
    assert User.objects.get(clerk_id="user_noemail").email == ""
    assert _sign_in("user_noemail2").status_code == 200  # many users may have no email


@pytest.mark.django_db
def test_an_email_change_to_another_accounts_email_is_not_applied(caplog):
    make_user(email="taken@example.com", clerk_id="user_taken")
    assert _sign_in("user_mover", email="mover@example.com").status_code == 200
    with caplog.at_level(logging.INFO, logger="apps.auth"):
        again = _sign_in("user_mover", email="Taken@Example.com", name="Mover")
    assert again.status_code == 200
    mover = User.objects.get(clerk_id="user_mover")
    assert (mover.email, mover.name) == ("mover@example.com", "Mover")
    assert any("not applied" in r.getMessage() for r in caplog.records)


@pytest.mark.django_db
def test_the_admin_refuses_a_second_account_with_the_same_email(staff_client):
    make_user(email="dup@example.com")
    response = staff_client.post(
        "/admin/accounts/user/add/",
        {"username": "dup2", "usable_password": "false", "email": "DUP@example.com", "name": "D", "role": "agent"},
    )
    assert response.status_code == 200
    assert "A user with this email address already exists." in response.content.decode()
    assert not User.objects.filter(username="dup2").exists()


# --- claims that don't fit --------------------------------------------------------------------

REFUSED_CLAIMS = {
    "email_longer_than_the_column": {"email": "a" * 250 + "@example.com"},
    "email_with_nul": {"email": "nul\x00@example.com"},
    "email_with_lone_surrogate": {"email": "s\ud800@example.com"},
    "email_not_a_string": {"email": 12345},
    "email_an_object": {"email": {"address": "x@example.com"}},
    "name_not_a_string": {"name": ["Ada", "Lovelace"]},
    "sub_longer_than_the_column": {"sub": "user_" + "x" * 60},
    "sub_empty": {"sub": ""},
    "sub_with_nul": {"sub": "user_\x00nul"},
    "sub_with_control_character": {"sub": "user_\x1bbad"},
}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", REFUSED_CLAIMS)
def test_identity_claims_that_dont_fit_are_a_401_not_a_500(kind, caplog):
    claims = dict(REFUSED_CLAIMS[kind])
    sub = claims.pop("sub", f"user_{kind}")
    with caplog.at_level(logging.INFO, logger="apps.auth"):
        response = _sign_in(sub, **claims)
    assert response.status_code == 401, response.content
    assert response.json()["code"] == "invalid_claims"
    assert any("invalid_claims" in r.getMessage() for r in caplog.records)
    assert User.objects.count() == 0


@pytest.mark.django_db
def test_a_name_longer_than_the_column_is_cut_and_unstorable_characters_dropped():
    response = _sign_in("user_longname", email="long@example.com", name="N" * 5000)
    assert response.status_code == 200, response.content
    assert User.objects.get(clerk_id="user_longname").name == "N" * 200

    response = _sign_in("user_longname", name="Ada\x00 Love\ud800lace\x07")
    assert response.status_code == 200, response.content
    assert User.objects.get(clerk_id="user_longname").name == "Ada Lovelace"
    # Nothing printable left: as if the claim were absent (the name is kept).
    assert _sign_in("user_longname", name="\x00\x01").status_code == 200
    assert User.objects.get(clerk_id="user_longname").name == "Ada Lovelace"


@pytest.mark.django_db
def test_null_or_empty_claims_mean_absent():
    assert _sign_in("user_nulls", email="nulls@example.com", name="Nulls").status_code == 200
    response = ApiClient(token=fake_clerk.token("user_nulls", email="", name="")).get(ME)
    assert response.status_code == 200
    user = User.objects.get(clerk_id="user_nulls")
    assert (user.email, user.name) == ("nulls@example.com", "Nulls")


# --- races (PostgreSQL: SQLite serialises writers) --------------------------------------------


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_first_sign_ins_of_one_sub_create_one_user():
    def sign_in():
        return user_provision_from_session(clerk_id="user_racer", email="racer@example.com", name="Racer").pk

    results = run_concurrently([sign_in] * 8)
    assert all(isinstance(result, int) for result in results), results
    assert len(set(results)) == 1
    assert User.objects.filter(clerk_id="user_racer").count() == 1
    assert User.objects.filter(email__iexact="racer@example.com").count() == 1


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_first_sign_ins_link_a_provisioned_user_once():
    agent = make_user(Role.AGENT, email="linkrace@example.com", clerk_id=None, teams=[make_team("Desk")])

    def sign_in():
        return user_provision_from_session(clerk_id="user_linkrace", email="LinkRace@example.com", name=None).pk

    results = run_concurrently([sign_in] * 8)
    assert results == [agent.pk] * 8
    agent.refresh_from_db()
    assert agent.clerk_id == "user_linkrace" and agent.role == Role.AGENT
    assert User.objects.count() == 1


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_subs_racing_for_one_new_email_get_one_account_and_one_refusal():
    def sign_in(sub):
        return lambda: user_provision_from_session(clerk_id=sub, email="contested@example.com", name=None)

    results = run_concurrently([sign_in("user_first"), sign_in("user_second")])
    users = [result for result in results if isinstance(result, User)]
    refusals = [result for result in results if isinstance(result, AuthenticationFailed)]
    assert len(users) == 1 and len(refusals) == 1, results
    assert refusals[0].code == "account_conflict"
    assert User.objects.filter(email__iexact="contested@example.com").count() == 1
