"""Rows holding datetimes that PostgreSQL stores but Python can't read (written before the input
rules, or by another client): reads clamp them instead of failing, and the data migration repairs
them (apps.core.db)."""

import pytest
from django.apps import apps as django_apps
from django.db import connection

from apps.core.db import repair_datetime_columns
from apps.core.fields import DATETIME_MAX, DATETIME_MIN
from apps.core.testing.markers import requires_postgres
from apps.tickets import services as tickets
from apps.tickets.models import Ticket

pytestmark = [requires_postgres, pytest.mark.django_db]

# What the hand probes stored: year 0 in UTC (shown by PostgreSQL as 1 BC) and year 10000.
UNREADABLE = {
    "before": ("0001-01-01 00:00:00+01:00", DATETIME_MIN),
    "after": ("9999-12-31 23:59:59-14:00", DATETIME_MAX),
    "far_after": ("200000-01-01 00:00:00+00", DATETIME_MAX),
    "far_before": ("4000-01-01 00:00:00+00 BC", DATETIME_MIN),
    "edge_outside": ("9999-12-31 12:00:00+00", DATETIME_MAX),
}


def _store_raw_due_at(ticket_id: int, literal: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("UPDATE tickets_ticket SET due_at = %s::timestamptz WHERE id = %s", [literal, ticket_id])


@pytest.mark.parametrize("case", sorted(UNREADABLE))
def test_every_read_of_such_a_row_answers_with_the_nearest_supported_instant(api, agent, requester, team, case):
    literal, expected = UNREADABLE[case]
    ticket = tickets.ticket_create(actor=requester, title="Old row", team_id=team.pk)
    _store_raw_due_at(ticket.pk, literal)

    assert Ticket.objects.get(pk=ticket.pk).due_at == expected
    for client in (api(agent), api(requester)):
        detail = client.get(f"tickets/{ticket.pk}")
        assert detail.status_code == 200, detail.content
        listed = client.get("tickets", {"ordering": "due"})
        assert listed.status_code == 200, listed.content
        assert [item["id"] for item in listed.json()["items"]] == [ticket.pk]
    # Writing the row back (an unrelated edit) keeps the clamped, readable value.
    updated = api(agent).patch(f"tickets/{ticket.pk}", {"version": 1, "title": "Old row, edited"})
    assert updated.status_code == 200, updated.content


def test_the_data_migration_moves_stored_values_into_the_supported_range(requester, team):
    rows = {}
    for case, (literal, _) in UNREADABLE.items():
        ticket = tickets.ticket_create(actor=requester, title=case, team_id=team.pk)
        _store_raw_due_at(ticket.pk, literal)
        rows[case] = ticket.pk
    in_range = tickets.ticket_create(actor=requester, title="fine", team_id=team.pk)
    _store_raw_due_at(in_range.pk, "2030-05-01 10:00:00+00")

    with connection.schema_editor() as editor:
        repair_datetime_columns("tickets")(django_apps, editor)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, due_at::text FROM tickets_ticket WHERE due_at < %s OR due_at > %s",
            [DATETIME_MIN, DATETIME_MAX],
        )
        assert cursor.fetchall() == [], "no stored value is left outside the range"
    for case, ticket_id in rows.items():
        assert Ticket.objects.get(pk=ticket_id).due_at == UNREADABLE[case][1]
    assert Ticket.objects.get(pk=in_range.pk).due_at.isoformat() == "2030-05-01T10:00:00+00:00"
