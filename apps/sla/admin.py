"""Calendars and policies in the Django admin, saved and deleted through apps.sla.services (the same
rules as the REST API: domain errors are shown as messages); ticket clocks are read-only."""

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect

from apps.core.errors import DomainError
from apps.sla import services
from apps.sla.models import BusinessCalendar, SlaClock, SlaClockEvent, SlaPolicy, TicketSla
from apps.tickets.models import Priority, Status, TicketType


class ServiceAdmin(admin.ModelAdmin):
    """Saves and deletes through services; a refused change stays on the form with the reason."""

    # The three hooks below are abstract: CalendarAdmin and PolicyAdmin (below) each route them to
    # their app's services; the base class only owns the save/delete plumbing and error messages.
    def create(self, request, data: dict):
        """Create through the service; the subclass's one line."""
        raise NotImplementedError("subclasses route create to apps.sla.services")

    def update(self, request, obj, data: dict):
        raise NotImplementedError("subclasses route update to apps.sla.services")

    def remove(self, request, obj) -> None:
        raise NotImplementedError("subclasses route delete to apps.sla.services")

    def save_model(self, request, obj, form, change):
        data = {field: form.cleaned_data[field] for field in form.changed_data if field in form.cleaned_data}
        try:
            if change:
                self.update(request, obj, data)
            else:
                obj.pk = self.create(request, form.cleaned_data).pk
        except DomainError as exc:
            self.message_user(request, f"Not saved: {exc.message} {exc.details or ''}".strip(), messages.ERROR)
            request.sla_admin_failed = True  # the ModelAdmin is shared across requests

    def delete_model(self, request, obj):
        try:
            self.remove(request, obj)
        except DomainError as exc:
            self.message_user(request, f"Not deleted: {exc.message} {exc.details or ''}".strip(), messages.ERROR)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    def response_add(self, request, obj, post_url_continue=None):
        if getattr(request, "sla_admin_failed", False):
            return HttpResponseRedirect(request.path)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if getattr(request, "sla_admin_failed", False):
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)


class CalendarForm(forms.ModelForm):
    hours = forms.JSONField(initial=dict, help_text='{"mon": [["09:00", "17:00"]], …, "sun": []}; "24:00" ends a day')
    holidays = forms.JSONField(required=False, initial=list, help_text='Extra closed dates: ["2026-12-24", …]')

    class Meta:
        model = BusinessCalendar
        fields = ["name", "timezone", "hours", "holidays", "holiday_country", "holiday_subdivision"]


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(ServiceAdmin):
    form = CalendarForm
    list_display = ["name", "timezone", "holiday_country", "holiday_subdivision", "updated_at"]
    search_fields = ["name"]

    def create(self, request, data):
        return services.calendar_create(actor=request.user, **{**data, "holidays": data.get("holidays") or []})

    def update(self, request, obj, data):
        services.calendar_update(actor=request.user, calendar_id=obj.pk, changes=data)

    def remove(self, request, obj):
        services.calendar_delete(actor=request.user, calendar_id=obj.pk)


class PolicyForm(forms.ModelForm):
    priority = forms.TypedChoiceField(
        choices=[("", "any"), *Priority.choices], coerce=int, empty_value=None, required=False
    )
    type = forms.ChoiceField(choices=[("", "any"), *TicketType.choices], required=False)
    pause_statuses = forms.MultipleChoiceField(
        choices=[(value, text) for value, text in Status.choices if value not in ("resolved", "closed")],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        initial=services.DEFAULT_PAUSE_STATUSES,
    )

    class Meta:
        model = SlaPolicy
        fields = [
            "name",
            "order",
            "priority",
            "type",
            "team",
            "calendar",
            "first_response_minutes",
            "resolution_minutes",
            "pause_statuses",
            "warning_percent",
        ]


def _policy_values(data: dict) -> dict:
    values = dict(data)
    if "priority" in values:
        values["priority"] = Priority(values["priority"]).label if values["priority"] else None
    if "type" in values:
        values["type"] = values["type"] or None
    for relation in ("team", "calendar"):
        if relation in values:
            related = values.pop(relation)
            values[f"{relation}_id"] = related.pk if related else None
    return values


@admin.register(SlaPolicy)
class SlaPolicyAdmin(ServiceAdmin):
    form = PolicyForm
    list_display = [
        "name",
        "order",
        "priority",
        "type",
        "team",
        "calendar",
        "first_response_minutes",
        "resolution_minutes",
    ]
    list_select_related = ["team", "calendar"]
    ordering = ["order", "id"]

    def create(self, request, data):
        return services.policy_create(actor=request.user, **_policy_values(data))

    def update(self, request, obj, data):
        services.policy_update(actor=request.user, policy_id=obj.pk, changes=_policy_values(data))

    def remove(self, request, obj):
        services.policy_delete(actor=request.user, policy_id=obj.pk)


class ClockInline(admin.TabularInline):
    model = SlaClock
    extra = 0
    can_delete = False
    fields = ["kind", "state", "target_minutes", "due_at", "warning_at", "paused_at", "stopped_at", "breached_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(TicketSla)
class TicketSlaAdmin(admin.ModelAdmin):
    """Written by the clocks only (apps.sla.sync): read-only here."""

    list_display = ["ticket", "policy_name", "calendar", "next_check_at", "updated_at"]
    list_select_related = ["ticket", "calendar"]
    search_fields = ["=ticket__number", "policy_name"]
    inlines = [ClockInline]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SlaClockEvent)
class SlaClockEventAdmin(admin.ModelAdmin):
    list_display = ["clock", "kind", "at", "due_at"]
    list_filter = ["kind"]
    list_select_related = ["clock"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
