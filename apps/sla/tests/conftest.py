from datetime import UTC, datetime, timedelta

import pytest

from apps.sla import services
from apps.sla.calendars import HOURS_24_7


class FrozenClock:
    """`timezone.now()` for the code under test: set it, move it on."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock(monkeypatch):
    frozen = FrozenClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))  # a Monday
    monkeypatch.setattr("django.utils.timezone.now", frozen)
    return frozen


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Call a service as a request would: its after-commit subscribers (the SLA sync) run after it."""

    def call(service, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return service(**kwargs)

    return call


@pytest.fixture
def calendar_24_7(admin_user):
    return services.calendar_create(actor=admin_user, name="Around the clock", timezone="UTC", hours=HOURS_24_7)


@pytest.fixture
def standard_policy(admin_user, calendar_24_7):
    """60 business minutes to the first response, 240 to resolution, on a 24/7 calendar."""
    return services.policy_create(
        actor=admin_user,
        name="Standard",
        order=10,
        calendar_id=calendar_24_7.pk,
        first_response_minutes=60,
        resolution_minutes=240,
    )
