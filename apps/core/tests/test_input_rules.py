"""API.md "Input rules that hold everywhere", one kind of bad value at a time, at every place the
API's own OpenAPI schema says such a value goes (apps.core.testing.openapi_inputs): each answer
is a 422 whose `details.fields` names that place, never a 500 nor a silent acceptance.

The tables are generated when the tests are collected, so a new endpoint or field is covered the
day it is added; `test_every_kind_covers_the_places_it_must` keeps a table from quietly emptying.
"""

import json
from urllib.parse import urlencode

import pytest
from django.test import Client

from apps.accounts.models import Role
from apps.core.fields import INT64_MAX, INT64_MIN
from apps.core.pagination import encode_cursor
from apps.core.testing.client import ApiClient
from apps.core.testing.factories import make_user
from apps.core.testing.openapi_inputs import Location, Operation, operations

pytestmark = pytest.mark.django_db


def _schema() -> dict:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


OPERATIONS = operations(_schema())


def _scalar_kinds(location: Location) -> set[str]:
    """What kind of value goes there; for a repeatable query parameter, what each item is (a body
    array's items are locations of their own)."""
    kinds = location.kinds
    if kinds == {"array"} and location.where == "query":
        items = location.schema.get("items") or next(
            (b.get("items", {}) for b in location.schema.get("anyOf", []) if b.get("type") == "array"), {}
        )
        return Location(location.where, location.name, location.keys, items, True).kinds
    return kinds


def _table(select) -> list[tuple[Operation, Location]]:
    return [(op, loc) for op in OPERATIONS for loc in op.locations() if select(op, loc)]


def _id(case) -> str:
    op, loc = case
    return f"{op.label} {loc.where}:{loc.name}"


# --- the kinds: where each goes, and the bad values ---------------------------------------------

TEXT = _table(lambda op, loc: bool(_scalar_kinds(loc) & {"string", "enum", "date-time"}))
INTEGERS = _table(lambda op, loc: "integer" in _scalar_kinds(loc))
DATETIMES = _table(lambda op, loc: "date-time" in _scalar_kinds(loc))
NON_NULLABLE = _table(lambda op, loc: loc.where == "body" and not loc.nullable and not isinstance(loc.keys[-1], int))
NESTED = _table(lambda op, loc: loc.where == "body" and len(loc.keys) > 1)
CURSORS = _table(lambda op, loc: loc.where == "query" and loc.name == "cursor")

UNSTORABLE_TEXT = ["x\x00", "\x00", "a\x00b"]
UNSTORABLE_BODY_TEXT = [*UNSTORABLE_TEXT, "x\ud800", "\udfff"]
NOT_PARAM_INTEGERS = [
    str(INT64_MAX + 1),
    str(INT64_MIN - 1),
    "99999999999999999999999999",
    "0",
    "-1",
    "1_0",
    " 1",
    "1.0",
    "+1 ",
    "0x1",
    "١٢",
    "²",
    "true",
    "\x00",
    "",
]
NOT_BODY_INTEGERS = [INT64_MAX + 1, INT64_MIN - 1, 10**30, True, False, "1", "1.0", 1.5, "١", [], {}]
BAD_DATETIMES = [
    "2030-01-01T09:00:00",  # naive
    "2030-01-01 09:00:00",
    "2030-01-01",
    "9999-12-31T23:59:59-14:00",  # leaves year 9999 once in UTC
    "9999-12-31T23:00:00Z",  # could not be shown in a timezone east of UTC
    "0001-01-01T00:00:00+01:00",  # year 0 in UTC
    "0001-01-01T00:00:00Z",
    "2030-01-01T09:00:00+24:00",
    "2030-02-30T09:00:00Z",
    "1700000000",
    "2030-01-01T09:00:00Z\x00",
]
NOT_BODY_DATETIMES = [*BAD_DATETIMES, 1700000000, 1.7e9, True]


def _wrong_type(location: Location):
    kinds = location.kinds
    if "integer" in kinds or "number" in kinds:
        return "not a number"
    if "boolean" in kinds:
        return "not a boolean"
    if kinds & {"array", "object"}:
        return "not a collection"
    if "enum" in kinds:
        return "not-one-of-the-choices"
    return 12345


# --- how a case is sent and judged --------------------------------------------------------------


@pytest.fixture
def caller(db, settings):
    """An admin (validation runs after authentication, so every operation reaches it); the dev
    sign-in is on so its operation is routed rather than hidden."""
    settings.AUTH_DEV_LOGIN = True
    return ApiClient(make_user(Role.ADMIN))


def _send(client: ApiClient, request: dict):
    url = request["url"]
    if request["query"]:
        url += "?" + urlencode(request["query"], doseq=True)
    method = request["method"]
    if method == "get":
        return client.get(url)
    if method == "delete":
        return client.delete(url)
    body = request["body"] if request["body"] is not None else {}
    return client.request(method, url, body)


def _assert_422_on(response, name: str, value) -> None:
    assert response.status_code == 422, f"{value!r} at {name}: {response.status_code} {response.content[:300]!r}"
    body = response.json()
    assert body["code"] == "validation_error", body
    fields = body["details"]["fields"]
    named = [field for field in fields if field == name or field.startswith(f"{name}.")]
    assert named, f"{value!r} at {name}: details.fields names {sorted(fields)} instead"


def _check(client: ApiClient, op: Operation, location: Location, values) -> None:
    for value in values:
        _assert_422_on(_send(client, op.request_with(location, value)), location.name, value)


# --- the tests ----------------------------------------------------------------------------------


@pytest.mark.parametrize("case", TEXT, ids=_id)
def test_text_the_databases_cant_store_is_422(caller, case):
    op, location = case
    values = UNSTORABLE_BODY_TEXT if location.where == "body" else UNSTORABLE_TEXT
    _check(caller, op, location, values)


@pytest.mark.parametrize("case", INTEGERS, ids=_id)
def test_integers_out_of_range_or_not_plain_are_422(caller, case):
    op, location = case
    values = NOT_BODY_INTEGERS if location.where == "body" else NOT_PARAM_INTEGERS
    if location.where == "path":
        values = [value for value in values if value != ""]  # an empty segment is another route
    _check(caller, op, location, values)


@pytest.mark.parametrize("case", DATETIMES, ids=_id)
def test_naive_or_out_of_range_datetimes_are_422(caller, case):
    op, location = case
    _check(caller, op, location, NOT_BODY_DATETIMES if location.where == "body" else BAD_DATETIMES)


@pytest.mark.parametrize("case", NON_NULLABLE, ids=_id)
def test_explicit_null_for_a_field_that_cant_be_null_is_422(caller, case):
    op, location = case
    _check(caller, op, location, [None])


@pytest.mark.parametrize("case", NESTED, ids=_id)
def test_a_bad_nested_field_is_named_by_its_path(caller, case):
    op, location = case
    _check(caller, op, location, [_wrong_type(location)])


def test_every_kind_covers_the_places_it_must():
    """The tables are generated; this pins the places each must at least include."""
    names = {kind: {f"{op.label} {loc.name}" for op, loc in table} for kind, table in TABLES.items()}
    assert {
        "GET /api/v1/tickets q",
        "GET /api/v1/tickets tag",
        "POST /api/v1/tickets title",
        "PATCH /api/v1/tickets/{ticket_id} title",
        "POST /api/v1/tickets/{ticket_id}/comments body",
        "POST /api/v1/approvals/{approval_id}/decision comment",
        "POST /api/v1/approvals/workflows steps.0.name",
    } <= names["text"]
    assert {
        "GET /api/v1/tickets requester",
        "GET /api/v1/tickets/{ticket_id} ticket_id",
        "POST /api/v1/tickets/{ticket_id}/approvals workflow_id",
        "POST /api/v1/approvals/workflows steps.0.approver_ids.0",
    } <= names["integers"]
    assert {
        "GET /api/v1/tickets created_after",
        "POST /api/v1/tickets due_at",
        "PATCH /api/v1/tickets/{ticket_id} due_at",
        "POST /api/v1/approvals/delegations starts_at",
        "POST /api/v1/users/me/tokens expires_at",
    } <= names["datetimes"]
    assert {"PATCH /api/v1/tickets/{ticket_id} title", "PATCH /api/v1/approvals/delegations/{delegation_id} note"} <= (
        names["nulls"]
    )
    assert "POST /api/v1/approvals/workflows steps.0.quorum" in names["nested"]
    assert {
        "GET /api/v1/tickets cursor",
        "GET /api/v1/tickets/{ticket_id}/comments cursor",
        "GET /api/v1/tickets/{ticket_id}/events cursor",
        "GET /api/v1/approvals cursor",
    } <= names["cursors"]
    # Nullable fields are the deliberate exceptions: clearing them is meaningful.
    assert "PATCH /api/v1/tickets/{ticket_id} due_at" not in names["nulls"]


TABLES = {
    "text": TEXT,
    "integers": INTEGERS,
    "datetimes": DATETIMES,
    "nulls": NON_NULLABLE,
    "nested": NESTED,
    "cursors": CURSORS,
}


# --- cursors: only what the server wrote for this very list -------------------------------------


@pytest.fixture
def lists(caller, django_capture_on_commit_callbacks):
    """Two tickets with two comments and two log entries each, two approvals, two notifications, two
    saved views: every list has a second page, so each can hand out a genuine cursor."""
    tickets = []
    for title in ("Printer jammed", "Printer offline"):
        created = caller.post("tickets", {"title": title})
        assert created.status_code == 201, created.content
        ticket = created.json()
        for body in ("one", "two"):
            assert caller.post(f"tickets/{ticket['id']}/comments", {"body": body}).status_code == 201
        tickets.append(ticket["id"])
    approver = make_user(Role.AGENT)
    workflow = caller.post(
        "approvals/workflows",
        {"name": "Sign-off", "steps": [{"name": "Agent", "approver_kind": "users", "approver_ids": [approver.pk]}]},
    )
    assert workflow.status_code == 201, workflow.content
    for ticket_id in tickets:
        started = caller.post(f"tickets/{ticket_id}/approvals", {"workflow_id": workflow.json()["id"]})
        assert started.status_code == 201, started.content
    # Another admin assigns both tickets to the caller: two notifications (derived after commit).
    colleague = ApiClient(make_user(Role.ADMIN))
    with django_capture_on_commit_callbacks(execute=True):
        for ticket_id in tickets:
            assigned = colleague.post(f"tickets/{ticket_id}/assign", {"assignee_id": caller.user.pk})
            assert assigned.status_code == 200, assigned.content
    for name in ("Mine", "Also mine"):
        assert caller.post("views", {"name": name}).status_code == 201
    for name in ("Printer reply", "Printer restart"):
        assert caller.post("macros", {"name": name, "body": "Try again"}).status_code == 201
    return tickets


def _genuine_cursors(client: ApiClient, tickets: list[int]) -> dict[str, str]:
    """A real next_cursor from every cursor-paginated list (each ordering, each parent object)."""
    sources = {f"tickets ordering={o}": ("tickets", {"ordering": o}) for o in _ticket_orderings()}
    sources["tickets q"] = ("tickets", {"q": "printer"})
    for ticket_id in tickets:
        sources[f"comments of {ticket_id}"] = (f"tickets/{ticket_id}/comments", {})
        sources[f"events of {ticket_id}"] = (f"tickets/{ticket_id}/events", {})
    sources["approvals"] = ("approvals", {})
    sources["notifications"] = ("notifications", {})
    sources["unread notifications"] = ("notifications", {"unread": "true"})
    sources["views"] = ("views", {})
    sources["macros"] = ("macros", {})
    sources["macros q"] = ("macros", {"q": "printer"})
    cursors = {}
    for label, (path, params) in sources.items():
        page = client.get(path, {**params, "limit": 1})
        assert page.status_code == 200, (label, page.content)
        cursors[label] = page.json()["next_cursor"]
        assert cursors[label], f"{label} should have a second page"
    return cursors


def _ticket_orderings() -> list[str]:
    op = next(op for op in OPERATIONS if op.label == "GET /api/v1/tickets")
    ordering = next(loc for loc in op.locations() if loc.name == "ordering")
    return next(b for b in ordering.schema.get("anyOf", [ordering.schema]) if "enum" in b)["enum"]


def _flip_last_char(cursor: str) -> str:
    return cursor[:-1] + ("A" if cursor[-1] != "A" else "B")


@pytest.mark.parametrize("case", CURSORS, ids=_id)
def test_a_cursor_the_server_did_not_write_for_this_list_is_422(caller, lists, case):
    op, _ = case
    cursors = _genuine_cursors(caller, lists)
    path_values = {"ticket_id": lists[0]}
    request = op.request_with()
    url = op.path
    for name, value in path_values.items():
        url = url.replace("{" + name + "}", str(value))
    own = next((c for label, c in cursors.items() if _is_own(op, label, lists[0])), None)
    assert own is not None, f"no genuine cursor of {op.label} was collected"
    assert caller.get(url, {**request["query"], "cursor": own}).status_code == 200, "its own cursor must work"
    foreign = [c for label, c in cursors.items() if not _is_own(op, label, lists[0])]
    tampered = [
        "WzEsIDFd",  # base64 of [1, 1]: the unsigned cursor of earlier versions
        "MQ",
        "abc",
        "a:b",
        _flip_last_char(own),
        own.split(":")[0] + ":" + own.split(":")[0],
        encode_cursor([1, 1], scope="something-else"),
        own + "x",
        own[1:],
    ]
    for value in [*foreign, *tampered]:
        response = caller.get(url, {**request["query"], "cursor": value})
        _assert_422_on(response, "cursor", value)


def _is_own(op: Operation, label: str, ticket_id: int) -> bool:
    if op.label == "GET /api/v1/tickets":
        return label == "tickets ordering=-created"
    if op.label == "GET /api/v1/tickets/{ticket_id}/comments":
        return label == f"comments of {ticket_id}"
    if op.label == "GET /api/v1/tickets/{ticket_id}/events":
        return label == f"events of {ticket_id}"
    if op.label == "GET /api/v1/approvals":
        return label == "approvals"
    if op.label == "GET /api/v1/notifications":
        return label == "notifications"
    if op.label == "GET /api/v1/views":
        return label == "views"
    if op.label == "GET /api/v1/macros":
        return label == "macros"
    raise AssertionError(f"{op.label} pages with a cursor: add it to the cross-list table here")


def test_the_body_must_be_a_json_object(caller):
    for payload in ("[]", '"text"', "42", "null"):
        response = caller._client.post(
            "/api/v1/tickets", payload, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {caller.token}"
        )
        assert response.status_code in (400, 422), (payload, response.status_code)
        if response.status_code == 422:
            assert list(response.json()["details"]["fields"]) == ["body"], response.json()
    unparseable = caller._client.post(
        "/api/v1/tickets", "{", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {caller.token}"
    )
    assert (unparseable.status_code, unparseable.json()["code"]) == (400, "bad_request")
    assert json.loads(unparseable.content)["message"]
