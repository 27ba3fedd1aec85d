"""Background jobs: Django's Tasks framework (django-tasks + django-tasks-db) plus what every job shares.

A job is a `django_tasks` task run by `manage.py db_worker` (docs/background-jobs.md). What this
module adds, because the framework leaves it to us:

- `job(...)`: the decorator for our tasks. A failure listed in `retry_on` (TransientError by
  default: SMTP down, a service timing out) is retried as a new job scheduled with `run_after`
  after an exponential backoff; any other exception, or the last allowed attempt, fails the job
  for good: logged at ERROR, kept as a FAILED task result with its traceback in the Django admin,
  and `on_give_up` lets the job record that its work is still owed (nothing is lost).
- `claim_once(key)`: the idempotency guard. Inside the job's transaction, only the first caller
  with a key gets True; effects written in that same transaction happen once, however often the
  job runs.
- `queue_health()`: the age of the oldest job that is due but not started, for /health.

Jobs re-read state and act only if still due (DESIGN.md "Time"); they take ids, never objects.
"""

import functools
import logging
import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Min
from django.db.models.functions import Greatest
from django.utils import timezone
from django_tasks import DEFAULT_TASK_QUEUE_NAME, task

logger = logging.getLogger(__name__)

# The attempt number travels as a keyword argument of the retried job (visible in the admin).
ATTEMPT_KWARG = "job_attempt"
# Backoff never waits longer than this between two attempts.
MAX_RETRY_DELAY = timedelta(hours=1)


class TransientError(Exception):
    """Raise (or `raise ... from exc`) in a job for a failure that may pass: the job is retried later."""


def retry_delay(attempt: int) -> timedelta:
    """Wait before attempt `attempt + 1`: JOB_RETRY_BASE_SECONDS doubled per attempt, capped at one
    hour, ±20 % jitter so jobs that failed together (an SMTP outage) don't all retry in one burst."""
    base = settings.JOB_RETRY_BASE_SECONDS * 2 ** (attempt - 1)
    seconds = min(base, MAX_RETRY_DELAY.total_seconds()) * random.uniform(0.8, 1.2)  # noqa: S311 (not crypto)
    return timedelta(seconds=seconds)


def job(
    function: Callable | None = None,
    *,
    retry_on: tuple[type[BaseException], ...] = (TransientError,),
    max_attempts: int | None = None,
    on_give_up: Callable[..., None] | None = None,
    priority: int = 0,
    queue_name: str = DEFAULT_TASK_QUEUE_NAME,
):
    """Decorator: a module-level function becomes a task (`.enqueue(...)`, `.using(run_after=...)`).

    `max_attempts` defaults to JOB_MAX_ATTEMPTS. `on_give_up(exc, *args, **kwargs)` runs when the job
    fails for good (a non-retryable exception, or the last attempt), with the job's own arguments;
    its own failure is logged and does not hide the job's. Arguments must be JSON values.
    """

    def decorate(func: Callable) -> Any:
        @functools.wraps(func)
        def run(*args, **kwargs):
            attempt = int(kwargs.pop(ATTEMPT_KWARG, 1))
            limit = max_attempts or settings.JOB_MAX_ATTEMPTS
            try:
                return func(*args, **kwargs)
            except retry_on as exc:
                if attempt < limit:
                    return _schedule_retry(the_task, attempt, exc, args, kwargs)
                _give_up(func, attempt, exc, on_give_up, args, kwargs)
                raise
            except Exception as exc:
                _give_up(func, attempt, exc, on_give_up, args, kwargs)
                raise

        the_task = task(priority=priority, queue_name=queue_name)(run)
        return the_task

    return decorate(function) if function is not None else decorate


def _schedule_retry(the_task, attempt: int, exc: BaseException, args: tuple, kwargs: dict) -> dict:
    run_after = timezone.now() + retry_delay(attempt)
    the_task.using(run_after=run_after).enqueue(*args, **{**kwargs, ATTEMPT_KWARG: attempt + 1})
    logger.warning(
        "job %s attempt %d failed (%s: %s); retry %d at %s",
        the_task.name,
        attempt,
        type(exc).__name__,
        exc,
        attempt + 1,
        run_after.isoformat(),
    )
    # The result row of this attempt says what happened; the retry is a new job.
    return {
        "outcome": "retry_scheduled",
        "attempt": attempt,
        "next_run_after": run_after.isoformat(),
        "error": str(exc),
    }


def _give_up(func: Callable, attempt: int, exc: BaseException, on_give_up, args: tuple, kwargs: dict) -> None:
    logger.error(
        "job %s failed for good after %d attempt(s): %s: %s", func.__qualname__, attempt, type(exc).__name__, exc
    )
    if on_give_up is None:
        return
    try:
        on_give_up(exc, *args, **kwargs)
    except Exception:
        logger.exception("on_give_up of job %s failed", func.__qualname__)


def claim_once(key: str) -> bool:
    """True for the first caller with `key`, False ever after. Call inside `transaction.atomic()`.

    The claim commits or rolls back with the caller's transaction: a job that fails after claiming
    leaves no claim behind, so its retry does the work. Keys are short strings naming the effect,
    e.g. "approval_reminder:<step id>:<round>".
    """
    from apps.core.models import JobClaim

    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("claim_once needs the transaction that writes the job's effects")
    try:
        with transaction.atomic():
            JobClaim.objects.create(key=key)
    except IntegrityError:
        return False
    return True


def queue_health() -> dict:
    """Waiting jobs: those due now but not started. `oldest_wait_seconds` is how long the oldest
    has waited (since it was enqueued, or since its run_after if that came later); `ok` is False
    when that exceeds JOB_QUEUE_MAX_WAIT_SECONDS: no worker runs, or workers can't keep up.
    Also counts jobs that failed for good in the last 24 hours (shown, not judged: see the admin)."""
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult, get_date_max

    now = timezone.now()
    waiting = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    immediate = waiting.filter(run_after=get_date_max()).aggregate(n=Min("enqueued_at"), count=Count("pk"))
    deferred = waiting.filter(run_after__lte=now).aggregate(
        n=Min(Greatest("enqueued_at", "run_after")), count=Count("pk")
    )
    since = [value for value in (immediate["n"], deferred["n"]) if value is not None]
    oldest = round((now - min(since)).total_seconds(), 1) if since else 0.0
    failed = DBTaskResult.objects.filter(status=TaskResultStatus.FAILED, finished_at__gte=now - timedelta(days=1))
    return {
        "ok": oldest <= settings.JOB_QUEUE_MAX_WAIT_SECONDS,
        "waiting": immediate["count"] + deferred["count"],
        "oldest_wait_seconds": max(oldest, 0.0),
        "max_wait_seconds": settings.JOB_QUEUE_MAX_WAIT_SECONDS,
        "failed_last_day": failed.count(),
    }
