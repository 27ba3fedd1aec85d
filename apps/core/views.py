from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from apps.core.errors import error_body


# Exempt like the API's own views (Bearer tokens, no cookies): an unknown route is a 404 for every
# method, not a CSRF 403 for the unsafe ones.
@csrf_exempt
def api_not_found(request: HttpRequest) -> JsonResponse:
    return JsonResponse(error_body("not_found", "No such endpoint."), status=404)
