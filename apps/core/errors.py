"""One error family for the whole API: every 4xx/5xx body is {"code", "message", "details"}."""

import math
from collections.abc import Iterable, Mapping
from typing import Any


class DomainError(Exception):
    status = 400
    code = "bad_request"
    message = "The request could not be processed."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        status: int | None = None,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ):
        self.message = message or self.message
        self.code = code or self.code
        self.status = status or self.status
        self.details = details or {}
        self.headers = headers or {}
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        return error_body(self.code, self.message, self.details)


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"code": code, "message": message, "details": details or {}}


class NotFound(DomainError):
    status = 404
    code = "not_found"
    message = "Not found."


class AuthenticationFailed(DomainError):
    status = 401
    code = "not_authenticated"
    message = "Authentication credentials were missing or invalid."

    def __init__(self, message: str | None = None, **kwargs: Any):
        kwargs.setdefault("headers", {"WWW-Authenticate": 'Bearer realm="api"'})
        super().__init__(message, **kwargs)


class PermissionDenied(DomainError):
    status = 403
    code = "permission_denied"
    message = "You are not allowed to do this."


class Conflict(DomainError):
    status = 409
    code = "conflict"
    message = "The request conflicts with the current state."


class ValidationFailed(DomainError):
    """422 with details.fields, for rules a schema can't express (the schema covers the rest)."""

    status = 422
    code = "validation_error"
    message = "Some fields are invalid."

    def __init__(self, fields: dict[str, list[str] | str], message: str | None = None, **kwargs: Any):
        normalised = {name: [msgs] if isinstance(msgs, str) else list(msgs) for name, msgs in fields.items()}
        super().__init__(message, details={"fields": normalised}, **kwargs)


class Throttled(DomainError):
    """429: over a throttle's rate (apps.core.throttling); `wait` becomes Retry-After (seconds)."""

    status = 429
    code = "throttled"
    message = "Too many requests. Retry after the number of seconds in Retry-After."

    def __init__(self, wait: float | None, **kwargs: Any):
        seconds = max(1, math.ceil(wait)) if wait is not None else None
        if seconds is not None:
            kwargs.setdefault("headers", {"Retry-After": str(seconds)})
            kwargs.setdefault("details", {"retry_after": seconds})
        super().__init__(**kwargs)


# Where Ninja says a value came from: the first item of an error's `loc`. A body error's loc also
# names the view's body parameter (("body", "payload", "steps", 0, "name")), which is no field.
_SOURCES = {"query": 1, "path": 1, "header": 1, "cookie": 1, "form": 1, "file": 1, "body": 2}


def field_errors(errors: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    """pydantic / Ninja validation errors → `details.fields`: {"steps.0.name": ["message", ...]}.

    Field paths are dotted, relative to the body, query or path they came from (a loc without a
    source, from a model validated directly, is taken as relative already). An error about a whole
    body or query string, not one field of it, is reported on "body" / "query".
    """
    fields: dict[str, list[str]] = {}
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        source = loc[0] if loc and loc[0] in _SOURCES else None
        path = loc[_SOURCES[source] :] if source else loc
        name = ".".join(path) or source or "body"
        message = str(error.get("msg", "Invalid value.")).removeprefix("Value error, ")
        fields.setdefault(name, []).append(message)
    return fields
