"""Saved views in the Django admin, saved and deleted through apps.queues.services (same rules as
REST: filters checked like the list's query string; domain errors shown as messages)."""

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect

from apps.core.errors import DomainError
from apps.queues import services
from apps.queues.models import COLUMNS, DEFAULT_COLUMNS, SavedView
from apps.tickets.schemas import Ordering

ORDERINGS = [("", "— the list's default —"), *((value, value) for value in Ordering.__args__)]


class SavedViewForm(forms.ModelForm):
    ordering = forms.ChoiceField(choices=ORDERINGS, required=False)
    columns = forms.MultipleChoiceField(
        choices=[(column, column) for column in COLUMNS],
        initial=list(DEFAULT_COLUMNS),
        widget=forms.CheckboxSelectMultiple,
    )
    filters = forms.CharField(
        required=False,
        max_length=2000,
        help_text="The ticket list's query string, e.g. status=new,open&assignee=none&my_teams=true",
    )

    class Meta:
        model = SavedView
        fields = ["name", "team", "filters", "ordering", "columns"]


@admin.register(SavedView)
class SavedViewAdmin(admin.ModelAdmin):
    """Admins define team views here (personal views are their owners' and are only listed)."""

    form = SavedViewForm
    list_display = ["name", "team", "owner", "filters", "ordering", "updated_at"]
    list_filter = ["team"]
    list_select_related = ["team", "owner"]
    search_fields = ["name"]
    readonly_fields = ["owner", "created_by", "created_at", "updated_at"]

    def get_fields(self, request, obj=None):
        fields = ["name", "team", "filters", "ordering", "columns"]
        return fields if obj is None else [*fields, *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        # A view stays personal or stays the team's it was made for.
        return [*self.readonly_fields, "team"] if obj is not None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            if change:
                changes = {field: data[field] for field in form.changed_data if field in data and field != "team"}
                services.view_update(actor=request.user, view_id=obj.pk, changes=changes)
            else:
                team = data.get("team")
                obj.pk = services.view_create(
                    actor=request.user,
                    name=data["name"],
                    filters=data.get("filters") or "",
                    ordering=data.get("ordering") or "",
                    columns=list(data["columns"]),
                    team_id=team.pk if team else None,
                ).pk
        except DomainError as exc:
            self.message_user(request, f"Not saved: {exc.message} {exc.details or ''}".strip(), messages.ERROR)
            request.queues_admin_failed = True  # the ModelAdmin is shared across requests

    def delete_model(self, request, obj):
        try:
            services.view_delete(actor=request.user, view_id=obj.pk)
        except DomainError as exc:
            self.message_user(request, f"Not deleted: {exc.message}", messages.ERROR)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    def response_add(self, request, obj, post_url_continue=None):
        if getattr(request, "queues_admin_failed", False):
            return HttpResponseRedirect(request.path)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if getattr(request, "queues_admin_failed", False):
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)
