"""The one NinjaAPI: routers from each app, and the single error handler family."""

import logging

from django.http import Http404, HttpRequest
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.errors import Throttled as NinjaThrottled

from apps.accounts.api import router as accounts_router
from apps.approvals.api import router as approvals_router
from apps.attachments.api import router as attachments_router
from apps.comments.api import router as comments_router
from apps.core.api import router as core_router
from apps.core.auth import BearerAuth
from apps.core.errors import AuthenticationFailed, DomainError, Throttled, error_body
from apps.core.throttling import API_THROTTLES, document_throttling
from apps.sla.api import router as sla_router
from apps.tickets.api import router as tickets_router

logger = logging.getLogger("apps.api")


class HelpdeskApi(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        return document_throttling(self, schema)


api = HelpdeskApi(
    title="Helpdesk API",
    version="1.0.0",
    description="REST API of Helpdesk. Every error body is {code, message, details}; see API.md.",
    auth=BearerAuth(),
    # Writes per user, anonymous calls per IP (apps.core.throttling); failed authentication per
    # IP is counted by BearerAuth itself, since ninja runs throttles only after authentication.
    throttle=API_THROTTLES,
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)

for router in (
    core_router,
    accounts_router,
    tickets_router,
    approvals_router,
    comments_router,
    attachments_router,
    sla_router,
):
    api.add_router("/", router)


def _respond(request: HttpRequest, status: int, body: dict, headers: dict | None = None):
    response = api.create_response(request, body, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError):
    return _respond(request, exc.status, exc.body(), exc.headers)


def _field_name(loc: list) -> str:
    parts = [str(part) for part in loc]
    # loc is (source, param, field...) for bodies and (source, field...) for query/path params.
    if parts and parts[0] == "body" and len(parts) > 2:
        parts = parts[2:]
    elif parts and parts[0] in {"body", "query", "path", "header", "form", "cookie"}:
        parts = parts[1:]
    return ".".join(parts) or "__all__"


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError):
    fields: dict[str, list[str]] = {}
    for error in exc.errors:
        message = str(error.get("msg", "Invalid value.")).removeprefix("Value error, ")
        fields.setdefault(_field_name(list(error.get("loc", []))), []).append(message)
    return _respond(request, 422, error_body("validation_error", "Some fields are invalid.", {"fields": fields}))


@api.exception_handler(AuthenticationError)
def on_authentication_error(request: HttpRequest, exc: AuthenticationError):
    failure = AuthenticationFailed()
    return _respond(request, failure.status, failure.body(), failure.headers)


@api.exception_handler(NinjaThrottled)
def on_throttled(request: HttpRequest, exc: NinjaThrottled):
    # Ninja adds Retry-After to this response itself.
    throttled = Throttled(exc.wait)
    return _respond(request, throttled.status, throttled.body())


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError):
    code = "bad_request" if exc.status_code == 400 else "http_error"
    return _respond(request, exc.status_code, error_body(code, str(exc.message)))


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404):
    return _respond(request, 404, error_body("not_found", "Not found."))


@api.exception_handler(Exception)
def on_unexpected(request: HttpRequest, exc: Exception):
    logger.exception("unhandled error on %s %s", request.method, request.path)
    return _respond(request, 500, error_body("internal_error", "Something went wrong on our side."))
