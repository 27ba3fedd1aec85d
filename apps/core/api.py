"""System routes: health and liveness. (The dev sign-in routes are apps/accounts/dev_api.py.)"""

from django.http import HttpRequest
from ninja import Router, Status

from apps.core.health import run_checks, serving_checks
from apps.core.jobs import queue_health
from apps.core.schemas import HealthOut

router = Router(tags=["system"])


@router.get("/health", auth=None, response={200: HealthOut, 503: HealthOut})
def health(request: HttpRequest):
    """Database, channel layer, attachment storage and the job queue. 503 when one of the first
    three fails (this process can't serve); a stale queue (no worker, or workers behind) makes
    the status "degraded" but stays 200: requests are still served (docs/background-jobs.md)."""
    serving, checks = run_checks(serving_checks())
    queue_ok, queue = run_checks({"queue": queue_health})
    checks.update(queue)
    status = "ok" if serving and queue_ok else "degraded"
    return Status(200 if serving else 503, {"status": status, "checks": checks})


@router.get("/ping", auth=None, throttle=[], response=dict)
def ping(request: HttpRequest):
    """Liveness: answers without touching the database or other services (use /health for readiness).

    Not throttled: answering costs less than counting (a cache round trip).
    """
    return {"pong": True}
