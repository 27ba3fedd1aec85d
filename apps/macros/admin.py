"""Macro admin: lists what the signed-in staff member may use, and saves and deletes through
apps.macros.services (the API's rules; domain errors become messages)."""

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect

from apps.core.admin import run_service_on_each
from apps.core.errors import DomainError
from apps.macros import services
from apps.macros.models import Macro
from apps.macros.permissions import may_change, visible_macros
from apps.macros.placeholders import PLACEHOLDERS
from apps.tickets.models import Priority


def _placeholder_help() -> str:
    return "Placeholders: " + ", ".join("{{" + name + "}}" for name in PLACEHOLDERS)


class MacroAdminForm(forms.ModelForm):
    class Meta:
        model = Macro
        fields = (
            "name",
            "body",
            "internal",
            "visibility",
            "team",
            "set_status",
            "set_priority",
            "assign",
            "assign_user",
        )
        help_texts = {"body": _placeholder_help()}


@admin.register(Macro)
class MacroAdmin(admin.ModelAdmin):
    form = MacroAdminForm
    list_display = ("name", "visibility", "team", "owner", "internal", "set_status", "set_priority", "assign")
    list_filter = ("visibility", "internal", "team")
    search_fields = ("name", "body")
    list_select_related = ("team", "owner")
    readonly_fields = ("owner", "version", "created_at", "updated_at")
    autocomplete_fields = ("team", "assign_user")
    actions = ["delete_through_service"]

    def get_queryset(self, request):
        return visible_macros(request.user).select_related("team", "owner")

    def has_change_permission(self, request, obj=None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or may_change(request.user, obj))

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.has_change_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def _values(self, form) -> dict:
        data = form.cleaned_data
        return {
            "name": data["name"],
            "body": data["body"],
            "internal": data["internal"],
            "visibility": data["visibility"],
            "team_id": data["team"].pk if data["team"] else None,
            "set_status": data["set_status"] or None,
            "set_priority": Priority(data["set_priority"]).label if data["set_priority"] else None,
            "assign": data["assign"] or None,
            "assign_user_id": data["assign_user"].pk if data["assign_user"] else None,
        }

    def save_model(self, request, obj, form, change):
        try:
            if change:
                current = Macro.objects.get(pk=obj.pk)
                services.macro_update(
                    actor=request.user, macro_id=obj.pk, version=current.version, changes=self._values(form)
                )
            else:
                obj.pk = services.macro_create(actor=request.user, **self._values(form)).pk
        except DomainError as exc:
            fields = exc.details.get("fields") if exc.details else None
            self.message_user(request, f"Not saved: {exc.message} {fields or ''}".strip(), messages.ERROR)
            request.macro_admin_failed = True  # the ModelAdmin is shared across requests

    def delete_model(self, request, obj):
        services.macro_delete(actor=request.user, macro_id=obj.pk)

    @admin.action(description="Delete selected macros")
    def delete_through_service(self, request, queryset):
        run_service_on_each(
            self,
            request,
            queryset,
            lambda macro: services.macro_delete(actor=request.user, macro_id=macro.pk),
            done_message="{count} macro(s) deleted.",
        )

    def response_add(self, request, obj, post_url_continue=None):
        if getattr(request, "macro_admin_failed", False):
            return HttpResponseRedirect(request.path)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if getattr(request, "macro_admin_failed", False):
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)
