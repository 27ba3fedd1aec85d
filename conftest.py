import os
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


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix) -> None:
    """On SQLite the test database is a file in DATA_DIR rather than in memory, so that worker and
    server processes a test starts (apps.core.testing.workers, servers) can open the same database."""
    from django.conf import settings

    default = settings.DATABASES["default"]
    if default["ENGINE"] == "django.db.backends.sqlite3":
        default.setdefault("TEST", {})["NAME"] = os.path.join(os.environ["DATA_DIR"], "test.sqlite3")


@pytest.fixture(autouse=True)
def own_cache_namespace(settings):
    """Each test counts requests from zero: throttle counters live in the cache, and ids (users,
    client IPs) repeat from test to test."""
    default = settings.CACHES["default"]
    settings.CACHES = {
        **settings.CACHES,
        "default": {**default, "KEY_PREFIX": f"{default['KEY_PREFIX']}-{uuid.uuid4().hex[:8]}"},
    }


@pytest.fixture(autouse=True, scope="session")
def event_payloads_checked():
    """Every broadcast in every test is checked against its documented schema (apps/live/schemas.py)."""
    from apps.core import events
    from apps.core.testing.event_payloads import check_event_payload

    events.check_payloads_with(check_event_payload)
    yield
    events.check_payloads_with(None)


@pytest.fixture
def toy_event_payloads():
    """For tests of the event transport that broadcast toy payloads (`{"n": 1}`): the check above is
    off for the test. Tests of what services emit never use this."""
    from apps.core import events
    from apps.core.testing.event_payloads import check_event_payload

    events.check_payloads_with(None)
    yield
    events.check_payloads_with(check_event_payload)
