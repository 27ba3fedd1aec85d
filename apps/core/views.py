from django.http import HttpRequest, JsonResponse

from apps.core.errors import error_body


def api_not_found(request: HttpRequest) -> JsonResponse:
    return JsonResponse(error_body("not_found", "No such endpoint."), status=404)
