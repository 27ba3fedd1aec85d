import uuid

import pytest

from apps.accounts.models import Role
from apps.core.testing.client import ApiClient
from apps.core.testing.factories import make_team, make_user


@pytest.fixture
def api():
    """api(user) → a JSON client authenticated as that user with a Clerk-shaped token."""
    return ApiClient


@pytest.fixture
def requester(db):
    return make_user(Role.REQUESTER, name="Rita Requester", email="rita@example.com", username="rita")


@pytest.fixture
def team(db):
    return make_team("Service Desk")


@pytest.fixture
def agent(db, team):
    return make_user(Role.AGENT, teams=[team], name="Alan Agent", email="alan@example.com", username="alan")


@pytest.fixture
def admin_user(db):
    return make_user(Role.ADMIN, name="Ada Admin", email="ada@example.com", username="ada")


@pytest.fixture(autouse=True)
def own_cache_namespace(settings):
    """Each test counts requests from zero: throttle counters live in the cache, and ids (users,
    client IPs) repeat from test to test."""
    default = settings.CACHES["default"]
    settings.CACHES = {
        **settings.CACHES,
        "default": {**default, "KEY_PREFIX": f"{default['KEY_PREFIX']}-{uuid.uuid4().hex[:8]}"},
    }
