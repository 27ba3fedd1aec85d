from django.http import HttpRequest, HttpResponse, JsonResponse

from apps.core.errors import error_body

_FALLBACK = {
    400: ("bad_request", "The request could not be understood."),
    404: ("not_found", "No such endpoint."),
    405: ("method_not_allowed", "This method is not allowed on this endpoint."),
    500: ("internal_error", "Something went wrong on our side."),
}


class ApiErrorShapeMiddleware:
    """Under /api/, an error that Django or Ninja produced as HTML or an empty body gets the error shape.

    The API's own handlers already answer JSON; this catches what escapes them (unknown routes,
    405s, CSRF failures, crashes below the API layer) so clients always parse one format.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/api/") or response.status_code < 400:
            return response
        # JSON came from the API's own handlers (or is a deliberate body, like health's 503 report).
        if response.get("Content-Type", "").startswith("application/json") or getattr(response, "streaming", False):
            return response
        code, message = _FALLBACK.get(response.status_code, ("http_error", response.reason_phrase or "Error"))
        shaped = JsonResponse(error_body(code, message), status=response.status_code)
        for header in ("Allow", "WWW-Authenticate", "Retry-After"):
            if response.has_header(header):
                shaped[header] = response[header]
        return shaped


class ApiEdgeErrorShapeMiddleware(ApiErrorShapeMiddleware):
    """The same shaping, listed first in MIDDLEWARE: errors raised by the other middleware (a foreign
    Host, which CommonMiddleware refuses with DisallowedHost) never pass the inner one.

    The inner one stays last and sync-only, so Django still runs the whole chain in one sync segment.
    """
