"""One error shape for everything under /api/: {code, message, details}."""

import json

import pytest
from django.http import HttpResponse, HttpResponseServerError
from django.test import Client, RequestFactory

from apps.core.middleware import ApiErrorShapeMiddleware
from apps.core.testing.client import ApiClient

pytestmark = pytest.mark.django_db


def _assert_shape(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = json.loads(response.content)
    assert set(body) == {"code", "message", "details"}
    assert body["code"] == code and body["message"]
    return body


def test_validation_error_is_422_with_fields(api, requester):
    response = api(requester).post("users/me/tokens", {"name": "x" * 101, "expires_at": "not a date"})
    body = _assert_shape(response, 422, "validation_error")
    assert set(body["details"]["fields"]) == {"name", "expires_at"}
    assert all(isinstance(messages, list) and messages for messages in body["details"]["fields"].values())


def test_query_param_validation_error_names_the_field(api, requester):
    body = _assert_shape(api(requester).get("users", {"limit": "many"}), 422, "validation_error")
    assert list(body["details"]["fields"]) == ["limit"]


def test_path_param_validation_error(api, requester):
    body = _assert_shape(api(requester).delete("users/me/tokens/abc"), 422, "validation_error")
    assert "token_id" in body["details"]["fields"]


def test_unparseable_body_is_400_not_500(api, requester):
    response = api(requester)._client.post(
        "/api/v1/users/me/tokens",
        "{not json",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api(requester).token}",
    )
    _assert_shape(response, 400, "bad_request")


@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v1/users/me/nope", "/api/nope", "/api", "/api/v2/health"])
def test_unknown_api_route_is_json_404(path):
    _assert_shape(Client().get(path), 404, "not_found")


def test_wrong_method_is_json_405_with_allow():
    response = Client().delete("/api/v1/health")
    _assert_shape(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


def test_wrong_method_on_authenticated_route(api, requester):
    response = api(requester).put("users/me", {})
    _assert_shape(response, 405, "method_not_allowed")


def test_missing_object_is_json_404(api, requester):
    _assert_shape(api(requester).delete("users/me/tokens/999999"), 404, "not_found")


def test_middleware_reshapes_html_errors_under_api_only():
    factory = RequestFactory()
    middleware = ApiErrorShapeMiddleware(lambda request: HttpResponseServerError("<h1>Server Error</h1>"))
    response = middleware(factory.get("/api/v1/anything"))
    _assert_shape(response, 500, "internal_error")
    outside = middleware(factory.get("/admin/"))
    assert outside.content == b"<h1>Server Error</h1>"
    teapot = ApiErrorShapeMiddleware(lambda request: HttpResponse("short and stout", status=418))
    _assert_shape(teapot(factory.get("/api/v1/x")), 418, "http_error")


def test_openapi_schema_and_docs_need_no_auth():
    schema = Client().get("/api/v1/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {"/api/v1/health", "/api/v1/users/me", "/api/v1/teams", "/api/v1/users/me/tokens"} <= paths.keys()
    docs = Client().get("/api/v1/docs")
    assert docs.status_code == 200 and b"openapi.json" in docs.content


def test_error_bodies_are_not_html_for_api_clients(api):
    response = ApiClient().get("users/me", HTTP_ACCEPT="text/html")
    _assert_shape(response, 401, "not_authenticated")
