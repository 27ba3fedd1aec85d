"""Fan-out: deriving and delivering to many recipients costs a fixed number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.accounts.models import Role, User
from apps.comments import services as comments
from apps.core.events import _subscribers
from apps.notifications.models import Notification, OutgoingEmail
from apps.notifications.subscriber import on_domain_event
from apps.tickets import services as tickets

pytestmark = pytest.mark.django_db(transaction=True)


def add_watchers(ticket, count: int) -> list[User]:
    start = User.objects.count()
    users = User.objects.bulk_create(
        User(username=f"w{start + n}", email=f"w{start + n}@example.com", role=Role.REQUESTER) for n in range(count)
    )
    ticket.watchers.add(*users)
    return users


def derivation_queries(action) -> tuple[int, int]:
    """(inserts, other queries) of the notifications subscriber alone during `action`."""
    counted = [0, 0]

    def counting(event):
        with CaptureQueriesContext(connection) as captured:
            on_domain_event(event)
        for query in captured:
            counted[0 if query["sql"].lstrip().upper().startswith("INSERT") else 1] += 1

    index = _subscribers.index(on_domain_event)
    _subscribers[index] = counting
    try:
        action()
    finally:
        _subscribers[index] = on_domain_event
    return counted[0], counted[1]


def comment(cast):
    comments.comment_create(actor=cast.actor, ticket_id=cast.ticket.pk, body="Update for everyone")


def transition(status):
    return lambda cast: tickets.ticket_transition(actor=cast.actor, ticket_id=cast.ticket.pk, status=status)


@pytest.mark.parametrize(
    ("first", "second"),
    [(comment, comment), (transition("in_progress"), transition("on_hold"))],
    ids=["comment", "status change"],
)
def test_two_hundred_watchers_are_notified_with_as_many_queries_as_two(cast, first, second):
    few = derivation_queries(lambda: first(cast))
    assert Notification.objects.count() == 4  # requester, watcher, staff_watcher, assignee

    crowd = add_watchers(cast.ticket, 200)
    many = derivation_queries(lambda: second(cast))
    assert Notification.objects.filter(recipient__in=crowd).count() == 200
    assert OutgoingEmail.objects.filter(recipient__in=crowd).count() == 200
    assert many[1] == few[1], f"{few[1]} reads and updates for 4 recipients, {many[1]} for 204"
    # Inserts: one per table on PostgreSQL; SQLite caps the parameters of a statement (999 on
    # Django 5.2), so its bulk inserts go in batches of a few dozen rows.
    extra = batches(Notification, 204) - 1 + batches(OutgoingEmail, 200) - 1
    assert many[0] == few[0] + extra, f"{few[0]} inserts for 4 recipients, {many[0]} for 204"


def batches(model, rows: int) -> int:
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    size = connection.ops.bulk_batch_size(fields, [None] * rows) or rows
    return -(-rows // size)
