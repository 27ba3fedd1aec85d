import threading

import pytest
from django.db import transaction

from apps.accounts.models import Role
from apps.approvals import events as approval_events
from apps.core.testing.factories import make_user


class SentEvents:
    """Records what the approvals app broadcast, once the transaction committed (thread-safe)."""

    def __init__(self):
        self._lock = threading.Lock()
        self.items: list[dict] = []

    def add(self, item: dict) -> None:
        with self._lock:
            self.items.append(item)

    def of(self, event: str) -> list[dict]:
        return [item for item in self.items if item["event"] == event]


@pytest.fixture
def sent(monkeypatch):
    """Wraps the real broadcast (which still runs) to see each approval event with its topics."""
    record = SentEvents()
    real = approval_events.broadcast_on_commit

    def recording(event, data, *, topics, audience=None):
        topics = list(topics)
        real(event, data, topics=topics, audience=audience)
        transaction.on_commit(
            lambda: record.add({"event": event, "data": data, "topics": topics, "audience": audience})
        )

    monkeypatch.setattr(approval_events, "broadcast_on_commit", recording)
    return record


@pytest.fixture
def approvers(db):
    """Three approvers with the requester role, as in real life (anyone can approve)."""
    return [make_user(Role.REQUESTER, name=f"Approver {i}") for i in range(3)]
