"""What every app's admin shares: bulk actions that go through services, read-only model admins;
and the background jobs' list (django-tasks-db's task results) as operators need it."""

from collections.abc import Callable, Iterable

from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

from apps.core.errors import DomainError
from apps.core.jobs import ATTEMPT_KWARG


def run_service_on_each(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    objects: Iterable,
    call: Callable[[object], object],
    *,
    done_message: str,
    label: Callable[[object], str] = str,
) -> int:
    """Applies `call` (a service) to each object; domain errors become one admin message each.

    `done_message` is formatted with `{count}`. Returns how many succeeded.
    """
    done = 0
    for obj in objects:
        try:
            call(obj)
            done += 1
        except DomainError as exc:
            model_admin.message_user(request, f"{label(obj)}: {exc.message}", messages.ERROR)
    if done:
        model_admin.message_user(request, done_message.format(count=done), messages.SUCCESS)
    return done


def form_errors_from(form, exc: DomainError, field_of: dict[str, str] | None = None) -> None:
    """Puts a service's refusal on an admin form: each field of a ValidationFailed on its field
    (renamed through `field_of` where the form names it differently), anything else on the form.
    So a form's clean() can run the service's own rule and show it as the API would word it."""
    fields = (exc.details or {}).get("fields") if isinstance(exc.details, dict) else None
    if not fields:
        form.add_error(None, exc.message)
        return
    for name, errors in fields.items():
        target = (field_of or {}).get(name, name)
        for error in errors:
            form.add_error(target if target in form.fields else None, error)


class ReadOnlyAdminMixin:
    """Rows written only by services (activity, decisions, comments): shown, never edited here."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class TaskResultAdmin(DBTaskResultAdmin):
    """django-tasks-db's job list, made usable for operators: what ran, which attempt, what came of
    it, filters by job and state, and "run again" for jobs that failed for good."""

    list_display = ("task_name", "status", "attempt", "outcome", "enqueued_at", "display_run_after", "finished_at")
    list_filter = ("status", "task_path", "queue_name")
    search_fields = ("id", "task_path", "exception_class_path")
    date_hierarchy = "enqueued_at"
    actions = ["run_again"]

    @admin.display(description="attempt")
    def attempt(self, obj: DBTaskResult) -> int:
        return int((obj.args_kwargs.get("kwargs") or {}).get(ATTEMPT_KWARG, 1))

    @admin.display(description="outcome")
    def outcome(self, obj: DBTaskResult) -> str:
        if obj.exception_class_path:
            return obj.exception_class_path.rsplit(".", 1)[-1]
        if isinstance(obj.return_value, dict) and "outcome" in obj.return_value:
            return str(obj.return_value["outcome"])
        return "" if obj.return_value is None else str(obj.return_value)[:80]

    @admin.action(description="Run again (failed jobs: a new job, first attempt, same arguments)", permissions=["view"])
    def run_again(self, request: HttpRequest, queryset) -> None:
        failed = queryset.filter(status=TaskResultStatus.FAILED)
        for result in failed:
            kwargs = {k: v for k, v in (result.args_kwargs.get("kwargs") or {}).items() if k != ATTEMPT_KWARG}
            result.task.using(run_after=timezone.now()).enqueue(*result.args_kwargs.get("args", []), **kwargs)
        self.message_user(request, f"{len(failed)} job(s) queued again.", messages.SUCCESS)


admin.site.unregister(DBTaskResult)
admin.site.register(DBTaskResult, TaskResultAdmin)
