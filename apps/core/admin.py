"""What every app's admin shares: bulk actions that go through services, read-only model admins."""

from collections.abc import Callable, Iterable

from django.contrib import admin, messages
from django.http import HttpRequest

from apps.core.errors import DomainError


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


class ReadOnlyAdminMixin:
    """Rows written only by services (activity, decisions, comments): shown, never edited here."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
