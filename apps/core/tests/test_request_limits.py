"""Requests the server refuses before reading them as API input: too many parameters, a body too
large, an unknown route under any method, a foreign Host. Each answers the JSON error shape."""

import json

import pytest
from django.test import Client

from apps.core.testing.client import ApiClient

pytestmark = pytest.mark.django_db


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = json.loads(response.content)
    assert set(body) == {"code", "message", "details"} and body["code"] == code, body
    return body


def test_thousands_of_query_parameters_are_400(api, requester, settings):
    params = "&".join(f"p{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 500))
    for path in ("tickets", "users", "approvals"):
        response = api(requester).get(f"/api/v1/{path}?{params}")
        _error(response, 400, "too_many_fields")


def test_a_body_above_the_upload_limit_is_413(api, requester, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    client = api(requester)
    body = json.dumps({"title": "x", "description": "y" * (3 * 1024 * 1024)})
    for path in ("/api/v1/tickets", "/api/v1/users/me/tokens"):
        response = client._client.post(
            path, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {client.token}"
        )
        _error(response, 413, "payload_too_large")


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete", "options"])
@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v1/tickets/1/nope", "/api/nope", "/api", "/api/v2/tickets"])
def test_an_unknown_api_route_is_404_for_every_method(method, path):
    # enforce_csrf_checks: as a browser with a session would be checked, the 404 must still win.
    client = Client(enforce_csrf_checks=True)
    response = getattr(client, method)(path)
    _error(response, 404, "not_found")


@pytest.mark.parametrize("path", ["/api/v1/health", "/api/v1/tickets", "/api/v1/nope"])
def test_a_foreign_host_gets_the_json_error_shape(path):
    response = Client().get(path, HTTP_HOST="evil.example.com")
    _error(response, 400, "bad_request")


def test_a_foreign_host_outside_the_api_keeps_djangos_page():
    response = Client().get("/admin/", HTTP_HOST="evil.example.com")
    assert response.status_code == 400
    assert not response["Content-Type"].startswith("application/json")


def test_openapi_documents_the_answers_every_operation_can_give():
    schema = Client().get("/api/v1/openapi.json").json()
    checked = 0
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            responses = operation["responses"]
            where = f"{method.upper()} {path}"
            assert "400" in responses, where
            if operation.get("security"):
                assert responses["401"]["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/ErrorOut"
                }, where
            if "requestBody" in operation:
                assert {"413", "422"} <= responses.keys(), where
            if operation.get("parameters"):
                assert "422" in responses, where
            checked += 1
    assert checked >= 40


def test_openapi_documents_the_input_constraints():
    schema = Client().get("/api/v1/openapi.json").json()
    components = schema["components"]["schemas"]
    create = components["TicketCreateIn"]["properties"]
    assert create["title"]["pattern"] == "^[^\\u0000]*$" and create["title"]["maxLength"] == 200
    assert create["team_id"]["anyOf"][0] == {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}
    assert create["due_at"]["anyOf"][0]["format"] == "date-time"
    update = components["TicketUpdateIn"]["properties"]
    assert "default" not in update["title"] and update["title"]["type"] == "string", "title can't be null"
    assert {"type": "null"} in update["due_at"]["anyOf"], "due_at may be cleared"
    assert create["tags"]["items"]["pattern"].startswith("^[ \\t\\r\\n]*[A-Za-z0-9]")
    tickets = {p["name"]: p["schema"] for p in schema["paths"]["/api/v1/tickets"]["get"]["parameters"]}
    for name in ("cursor", "assignee", "q", "tag"):
        assert tickets[name]["anyOf"][0]["pattern"], name
    assert tickets["requester"]["anyOf"][0]["maximum"] == 2**63 - 1


def test_no_auth_operations_do_not_claim_a_401():
    schema = ApiClient().get("/api/v1/openapi.json").json()
    assert "401" not in schema["paths"]["/api/v1/health"]["get"]["responses"]
