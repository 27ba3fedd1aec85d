"""Ticket admin: every change goes through the same services as the API; domain errors become messages."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.db import transaction
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse

from apps.accounts.models import User
from apps.core.admin import ReadOnlyAdminMixin, run_service_on_each
from apps.core.errors import DomainError
from apps.tickets import services
from apps.tickets.activity import describe
from apps.tickets.models import Priority, Status, Tag, Ticket, TicketEvent
from apps.tickets.selectors import with_names


class TicketEventInline(admin.TabularInline):
    """The activity log as sentences ("assigned to Anna Agent"), newest first, never raw JSON."""

    model = TicketEvent
    extra = 0
    can_delete = False
    fields = ("created_at", "actor", "summary", "note", "internal")
    readonly_fields = fields
    ordering = ("-created_at", "-id")
    classes = ("activity-log",)

    @admin.display(description="what happened")
    def summary(self, event: TicketEvent) -> str:
        return describe(event)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)

        class NamedEvents(formset):
            """Rows with the names of the people and teams they refer to: two queries for all rows."""

            def get_queryset(self):
                if not hasattr(self, "_named_events"):
                    self._named_events = with_names(list(super().get_queryset()))
                return self._named_events

        return NamedEvents

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class TicketAdminForm(forms.ModelForm):
    tag_names = forms.CharField(required=False, help_text="Comma-separated tags")
    new_status = forms.ChoiceField(
        required=False,
        choices=[("", "— keep —"), *Status.choices],
        help_text="Moves the ticket through the workflow (same rules as the API)",
    )
    reason = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    class Meta:
        model = Ticket
        fields = ("title", "description", "priority", "type", "team", "assignee", "due_at")


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    form = TicketAdminForm
    list_display = ("key", "title", "status", "priority", "type", "requester", "assignee", "team", "updated_at")
    list_filter = ("status", "priority", "type", "team", ("assignee", admin.RelatedOnlyFieldListFilter))
    search_fields = ("title", "description", "=number", "requester__email", "assignee__email")
    list_select_related = ("requester", "assignee", "team")
    readonly_fields = ("key", "status", "requester", "version", "created_at", "updated_at", "resolved_at", "closed_at")
    autocomplete_fields = ("assignee", "team")
    inlines = [TicketEventInline]
    actions = ["assign_to", "transition_to"]
    date_hierarchy = "created_at"

    def get_fields(self, request, obj=None):
        editable = ["title", "description", "priority", "type", "team", "due_at", "tag_names"]
        if obj is None:
            return editable
        return [*self.readonly_fields, *editable, "assignee", "new_status", "reason"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is not None:
            form.base_fields["tag_names"].initial = ", ".join(obj.tags.values_list("name", flat=True))
        return form

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        tags = [t.strip().lower() for t in (data.get("tag_names") or "").split(",") if t.strip()]
        try:
            with transaction.atomic():
                if not change:
                    created = services.ticket_create(
                        actor=request.user,
                        title=data["title"],
                        description=data["description"],
                        priority=Priority(data["priority"]).label,
                        type=data["type"],
                        team_id=data["team"].pk if data["team"] else None,
                        tags=tags,
                        due_at=data["due_at"],
                    )
                    obj.pk = created.pk
                    return
                self._apply_changes(request, obj, form, data, tags)
        except DomainError as exc:
            self.message_user(request, f"Not saved: {exc.message} {exc.details or ''}".strip(), messages.ERROR)
            request.ticket_admin_failed = True  # the ModelAdmin is shared across requests

    def _apply_changes(self, request, obj, form, data, tags):
        current = Ticket.objects.get(pk=obj.pk)
        changes = {}
        for field in ("title", "description", "type", "due_at"):
            if field in form.changed_data:
                changes[field] = data[field]
        if "priority" in form.changed_data:
            changes["priority"] = Priority(data["priority"]).label
        if "team" in form.changed_data:
            changes["team_id"] = data["team"].pk if data["team"] else None
        if sorted(tags) != sorted(current.tags.values_list("name", flat=True)):
            changes["tags"] = tags
        if changes:
            current = services.ticket_update(
                actor=request.user, ticket_id=obj.pk, version=current.version, changes=changes
            )
        if "assignee" in form.changed_data:
            services.ticket_assign(
                actor=request.user, ticket_id=obj.pk, assignee_id=data["assignee"].pk if data["assignee"] else None
            )
        if data.get("new_status"):
            services.ticket_transition(
                actor=request.user, ticket_id=obj.pk, status=data["new_status"], reason=data.get("reason", "")
            )

    def response_add(self, request, obj, post_url_continue=None):
        if getattr(request, "ticket_admin_failed", False):
            return HttpResponseRedirect(request.path)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if getattr(request, "ticket_admin_failed", False):
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def _run_on_each(self, request, queryset, call) -> None:
        run_service_on_each(
            self, request, queryset, call, done_message="Updated {count} ticket(s).", label=lambda ticket: ticket.key
        )

    @admin.action(description="Assign selected tickets to…")
    def assign_to(self, request, queryset):
        if "assignee" in request.POST:
            assignee_id = request.POST.get("assignee") or None
            self._run_on_each(
                request,
                queryset,
                lambda t: services.ticket_assign(
                    actor=request.user, ticket_id=t.pk, assignee_id=int(assignee_id) if assignee_id else None
                ),
            )
            return None
        return TemplateResponse(
            request,
            "admin/tickets/action_form.html",
            {
                **self.admin_site.each_context(request),
                "title": "Assign tickets",
                "queryset": queryset,
                "action": "assign_to",
                "field": "assignee",
                "choices": [("", "— unassign —")]
                + [(u.pk, f"{u} ({u.role})") for u in User.objects.filter(role__in=["agent", "admin"], is_active=True)],
            },
        )

    @admin.action(description="Move selected tickets to status…")
    def transition_to(self, request, queryset):
        if "status" in request.POST:
            status = request.POST["status"]
            self._run_on_each(
                request,
                queryset,
                lambda t: services.ticket_transition(
                    actor=request.user, ticket_id=t.pk, status=status, reason="via admin"
                ),
            )
            return None
        return TemplateResponse(
            request,
            "admin/tickets/action_form.html",
            {
                **self.admin_site.each_context(request),
                "title": "Change status",
                "queryset": queryset,
                "action": "transition_to",
                "field": "status",
                "choices": Status.choices,
            },
        )


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ("name",)


@admin.register(TicketEvent)
class TicketEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: the activity log is written by services and never edited."""

    list_display = ("created_at", "ticket", "actor", "summary", "internal")
    list_filter = ("kind", "internal")
    list_select_related = ("ticket", "actor")
    search_fields = ("ticket__title", "=ticket__number")
    exclude = ("old", "new")
    readonly_fields = ("ticket", "actor", "kind", "summary", "note", "internal", "created_at")

    @admin.display(description="what happened")
    def summary(self, event: TicketEvent) -> str:
        if not hasattr(event, "names"):
            with_names([event])  # a detail page; the changelist names its whole page at once
        return describe(event)

    def get_changelist(self, request, **kwargs):
        class NamedChangeList(ChangeList):
            def get_results(self, request):
                super().get_results(request)
                with_names(list(self.result_list))

        return NamedChangeList
