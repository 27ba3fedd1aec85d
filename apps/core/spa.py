"""Serves the built SPA: hashed assets with a long cache, and index.html for every app route."""

import mimetypes
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse

NOT_BUILT = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Helpdesk</title></head>
<body><main><h1>Helpdesk</h1><p>The web app is not built yet. Run <code>make run</code>
(it builds <code>frontend/</code>), or use the API at <a href="/api/v1/docs">/api/v1/docs</a>.</p></main></body></html>"""


def spa_index(request: HttpRequest) -> HttpResponse:
    index = Path(settings.SPA_DIST_DIR) / "index.html"
    if not index.is_file():
        return HttpResponse(NOT_BUILT, status=503)
    response = HttpResponse(index.read_bytes(), content_type="text/html; charset=utf-8")
    # The shell names the current hashed bundles, so it must always be revalidated.
    response["Cache-Control"] = "no-cache"
    return response


def spa_asset(request: HttpRequest, path: str) -> FileResponse:
    root = (Path(settings.SPA_DIST_DIR) / "assets").resolve()
    candidate = (root / path).resolve()
    if root not in candidate.parents or not candidate.is_file():
        raise Http404("No such asset.")
    content_type, _ = mimetypes.guess_type(candidate.name)
    response = FileResponse(candidate.open("rb"), content_type=content_type or "application/octet-stream")
    # Vite puts a content hash in every asset name: safe to cache for a year.
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
