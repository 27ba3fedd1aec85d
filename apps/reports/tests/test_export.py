import csv
import io
import warnings
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.accounts.models import Role
from apps.core.testing.factories import make_team, make_user
from apps.reports.export import COLUMNS, neutralise
from apps.tickets.models import Tag, Ticket
from apps.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


def read_csv(response) -> tuple[bytes, list[list[str]]]:
    assert response.status_code == 200, response.content
    # The sync test client drains the async stream through async_to_sync (with a warning saying so);
    # the real server streams it (test_export_server.py).
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="StreamingHttpResponse must consume asynchronous iterators")
        raw = b"".join(response)
    return raw, list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def walk_list(client, params: dict) -> list[str]:
    numbers, cursor = [], None
    while True:
        page = client.get("tickets", {**params, "limit": 7, **({"cursor": cursor} if cursor else {})}).json()
        numbers += [item["number"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            return numbers


@pytest.fixture
def desk():
    team, other = make_team("Desk"), make_team("Other")
    agent = make_user(Role.AGENT, teams=[team], name="Agent")
    requester = make_user(name="Req")
    vpn, printer = Tag.objects.create(name="vpn"), Tag.objects.create(name="printer")
    base = datetime(2026, 3, 1, 12, tzinfo=UTC)
    for i in range(40):
        ticket = make_ticket(
            requester,
            team=[team, other, None][i % 3],
            title=f"{['printer jam', 'vpn down', 'laptop'][i % 4 % 3]} {i}",
            status=["new", "open", "in_progress", "resolved"][i % 4],
            priority=["low", "normal", "high", "urgent"][i % 4],
            assignee=agent if i % 5 == 0 else None,
            due_at=base + timedelta(days=i % 6) if i % 2 else None,
        )
        # Ties on created_at (four per instant) exercise the id tie-break.
        Ticket.objects.filter(pk=ticket.pk).update(created_at=base + timedelta(hours=i // 4))
        if i % 3 == 0:
            ticket.tags.add(vpn, printer)
    return {"agent": agent, "team": team, "other": other, "admin": make_user(Role.ADMIN)}


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"ordering": "created"},
        {"ordering": "-priority"},
        {"ordering": "due"},
        {"ordering": "-due"},
        {"ordering": "updated"},
        {"status": "open,new"},
        {"q": "printer"},
        {"q": "vpn", "ordering": "-created"},
        {"assignee": "me"},
        {"tag": "vpn", "priority": "low"},
    ],
)
def test_same_rows_and_order_as_walking_the_list(api, desk, params):
    exported = 0
    for user in (desk["agent"], desk["admin"]):
        client = api(user)
        listed = walk_list(client, params)
        _, rows = read_csv(client.get("tickets/export", params))
        assert rows[0] == [header for header, _ in COLUMNS]
        assert [row[0] for row in rows[1:]] == listed
        exported += len(listed)
    assert exported, "the case exports something"


def test_team_agent_exports_none_of_another_teams_tickets(api, desk):
    _, rows = read_csv(api(desk["agent"]).get("tickets/export"))
    teams = {row[5] for row in rows[1:]}
    assert teams == {"Desk", ""}
    assert len(rows) - 1 == Ticket.objects.exclude(team=desk["other"]).count()
    _, filtered = read_csv(api(desk["agent"]).get("tickets/export", {"team": desk["other"].pk}))
    assert filtered[1:] == []


def test_cells_formats_bom_and_headers(api, desk):
    ticket = Ticket.objects.order_by("id").first()
    ticket.tags.set([Tag.objects.get(name="vpn"), Tag.objects.get(name="printer")])
    Ticket.objects.filter(pk=ticket.pk).update(
        resolved_at=datetime(2026, 3, 29, 1, 30, tzinfo=UTC), title='Quote "this", and, commas'
    )
    response = api(desk["admin"]).get("tickets/export", {"tz": "Europe/Berlin", "ordering": "created"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="helpdesk-tickets-')
    assert response["Content-Disposition"].endswith('.csv"')
    assert response["Cache-Control"] == "no-store"
    raw, rows = read_csv(response)
    assert raw.startswith(b"\xef\xbb\xbf" + b'"number","title"')
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["title"] == 'Quote "this", and, commas'
    assert first["tags"] == "printer, vpn"
    assert first["priority"] == "low" and first["status"] == "new"
    assert first["requester"] == "Req" and first["assignee"] == "Agent" and first["team"] == "Desk"
    # Wall-clock times in the asked zone: 12:00 UTC is 13:00 in Berlin (CET); 01:30 UTC on the 29th,
    # just after the switch to summer time, is 03:30 CEST.
    assert first["created_at"] == "2026-03-01 13:00:00"
    assert first["resolved_at"] == "2026-03-29 03:30:00"
    assert first["due_at"] == "" and first["closed_at"] == ""


FORMULAS = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd", "\uff1d1+1"]


def test_formula_cells_are_neutralised(api, desk):
    requester = make_user(name="=cmd|' /C calc'!A0", email="x@example.com")
    team = make_team("@team")
    for title in FORMULAS:
        ticket = make_ticket(requester, team=team, title=title)
        ticket.tags.add(Tag.objects.get_or_create(name="-x")[0])
    _, rows = read_csv(api(desk["admin"]).get("tickets/export", {"team": team.pk, "ordering": "created"}))
    by_name = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert [row["title"] for row in by_name] == ["'" + title for title in FORMULAS]
    assert {row["requester"] for row in by_name} == {"'=cmd|' /C calc'!A0"}
    assert {row["team"] for row in by_name} == {"'@team"}
    assert {row["tags"] for row in by_name} == {"'-x"}
    assert neutralise("a=b") == "a=b" and neutralise("") == ""


def test_route_is_exactly_tickets_export_and_leaves_ticket_ids_alone(api, desk):
    client = api(desk["admin"])
    ticket = Ticket.objects.first()
    assert client.get(f"tickets/{ticket.pk}").json()["id"] == ticket.pk
    assert client.get("tickets/export")["Content-Type"].startswith("text/csv")
    assert client.get("tickets/export/").status_code == 404
    assert client.post("tickets/export").status_code == 405
    assert client.get("tickets/exports").status_code == 422  # still the detail route's id parameter


@pytest.mark.parametrize(("params", "field"), [({"tz": "Nowhere/City"}, "tz"), ({"assignee": "x"}, "assignee")])
def test_bad_input_is_422(api, desk, params, field):
    response = api(desk["admin"]).get("tickets/export", params)
    assert response.status_code == 422
    assert field in response.json()["details"]["fields"]


def test_needs_authentication(api):
    assert api().get("tickets/export").status_code == 401


def test_one_query_for_the_rows_whatever_their_number(api, desk):
    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            read_csv(api(desk["admin"]).get("tickets/export"))
        return len(ctx.captured_queries)

    few = queries()
    requester = make_user()
    for _ in range(30):
        make_ticket(requester).tags.add(Tag.objects.get(name="vpn"))
    assert queries() == few
