"""The one NinjaAPI: routers from each app, and the single error handler family."""

import logging
from collections.abc import Callable

from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent
from django.http import Http404, HttpRequest
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.errors import Throttled as NinjaThrottled

from apps.accounts.api import router as accounts_router
from apps.accounts.auth import BearerAuth
from apps.accounts.dev_api import router as dev_auth_router
from apps.approvals.api import router as approvals_router
from apps.attachments.api import router as attachments_router
from apps.comments.api import router as comments_router
from apps.core.api import router as core_router
from apps.core.errors import AuthenticationFailed, DomainError, Throttled, error_body, field_errors
from apps.core.throttling import API_THROTTLES, document_throttling
from apps.macros.api import router as macros_router
from apps.notifications.api import router as notifications_router
from apps.queues.api import router as queues_router
from apps.reports.api import router as reports_router
from apps.sla.api import router as sla_router
from apps.tickets.api import router as tickets_router

logger = logging.getLogger("apps.api")

# Responses any operation of a kind can give, whatever its view declares: (status, description,
# which operations). The one place to add a status to every operation of a kind; 429 is added by
# apps.core.throttling.document_throttling, which asks the operations' throttles.
Rule = Callable[[str, dict], bool]
COMMON_RESPONSES: list[tuple[int, str, Rule]] = [
    (400, "Malformed request: a body that is not JSON, too many parameters, an unknown Host", lambda m, op: True),
    (401, "Missing, malformed, expired or otherwise invalid Bearer token", lambda m, op: bool(op.get("security"))),
    (413, "The body is larger than DATA_UPLOAD_MAX_MEMORY_SIZE", lambda m, op: "requestBody" in op),
    (
        422,
        "A parameter or body field is invalid (`details.fields` names each)",
        lambda m, op: bool(op.get("parameters")) or "requestBody" in op,
    ),
]
ERROR_SCHEMA_REF = "#/components/schemas/ErrorOut"


class HelpdeskAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict | None = None):
        """Ninja's schema, plus COMMON_RESPONSES on every operation they apply to, and 429 where throttled."""
        schema = document_throttling(self, super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params))
        for operations in schema["paths"].values():
            for method, operation in operations.items():
                responses = operation.setdefault("responses", {})
                for status, description, applies in COMMON_RESPONSES:
                    if applies(method, operation) and str(status) not in responses and status not in responses:
                        responses[str(status)] = {
                            "description": description,
                            "content": {"application/json": {"schema": {"$ref": ERROR_SCHEMA_REF}}},
                        }
        return schema

    def validation_error_from_error_contexts(self, error_contexts) -> ValidationError:
        """Ninja's, except that a flattened parameter's nested errors are named by field too.

        Ninja maps an error at ("query", "status") back to ("status",), but leaves one at
        ("query", "status", 0), inside a list item, under the view's parameter name
        ("query", "query", "status", 0). Here the longest flattened prefix is mapped instead.
        """
        errors = []
        for context in error_contexts:
            reverse = context.model.__ninja_flatten_map_reverse__
            for error in context.pydantic_validation_error.errors(include_url=False):
                loc = tuple(error["loc"])
                prefix = next((loc[:n] for n in range(len(loc), 0, -1) if loc[:n] in reverse), None)
                if prefix is not None:
                    loc = tuple(reverse[prefix]) + loc[len(prefix) :]
                error.pop("input", None)
                if isinstance(error.get("ctx", {}).get("error"), Exception):
                    error["ctx"]["error"] = str(error["ctx"]["error"])
                errors.append({**error, "loc": (context.model.__ninja_param_source__, *loc)})
        return ValidationError(errors)


api = HelpdeskAPI(
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

# reports before tickets: its GET /tickets/export must be matched before the tickets router's
# /tickets/{ticket_id} (a string path parameter) would take "export" for an id.
for router in (
    core_router,
    dev_auth_router,
    accounts_router,
    reports_router,
    tickets_router,
    approvals_router,
    comments_router,
    attachments_router,
    macros_router,
    notifications_router,
    sla_router,
    queues_router,
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


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError):
    details = {"fields": field_errors(exc.errors)}
    return _respond(request, 422, error_body("validation_error", "Some fields are invalid.", details))


@api.exception_handler(SuspiciousOperation)
def on_suspicious_request(request: HttpRequest, exc: SuspiciousOperation):
    """Django's request limits (DATA_UPLOAD_MAX_MEMORY_SIZE, DATA_UPLOAD_MAX_NUMBER_FIELDS) and the like."""
    if isinstance(exc, RequestDataTooBig):
        return _respond(request, 413, error_body("payload_too_large", "The request body is too large."))
    if isinstance(exc, TooManyFieldsSent):
        return _respond(request, 400, error_body("too_many_fields", "The request has too many parameters."))
    return _respond(request, 400, error_body("bad_request", "The request could not be understood."))


@api.exception_handler(BadRequest)
def on_bad_request(request: HttpRequest, exc: BadRequest):
    return _respond(request, 400, error_body("bad_request", "The request could not be understood."))


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
