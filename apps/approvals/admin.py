"""Admins define workflows here (steps inline). Requests are read-only: they change only through
the services (the cancel action calls approval_cancel, so the ticket and the log follow)."""

from django import forms
from django.contrib import admin

from apps.approvals.delegations import check_delegate, check_window
from apps.approvals.models import (
    ApprovalDecision,
    ApprovalRequest,
    ApprovalWorkflow,
    Delegation,
    RequestStep,
    WorkflowStep,
)
from apps.approvals.services import approval_cancel
from apps.approvals.workflows import StepSpec, check_name_free, step_spec_errors
from apps.core.admin import form_errors_from, run_service_on_each
from apps.core.errors import DomainError


class WorkflowStepForm(forms.ModelForm):
    class Meta:
        model = WorkflowStep
        fields = (
            "order",
            "name",
            "approver_kind",
            "approver_users",
            "approver_team",
            "approver_role",
            "rule",
            "quorum",
        )

    def clean(self):
        data = super().clean()
        if self.errors or data.get("DELETE"):
            return data
        users = list(data.get("approver_users") or [])
        team = data.get("approver_team")
        spec = StepSpec(
            name=data.get("name", ""),
            approver_kind=data.get("approver_kind", ""),
            rule=data.get("rule", ""),
            quorum=data.get("quorum"),
            approver_ids=[user.pk for user in users],
            team_id=team.pk if team else None,
            role=data.get("approver_role") or "",
        )
        known_users = {user.pk for user in users if user.is_active}
        known_teams = {team.pk} if team else set()
        errors = step_spec_errors(spec, known_user_ids=known_users, known_team_ids=known_teams)
        field_of = {"approver_ids": "approver_users", "team_id": "approver_team", "role": "approver_role"}
        for name, message in errors.items():
            self.add_error(field_of.get(name, name), message)
        return data


class WorkflowStepInline(admin.StackedInline):
    model = WorkflowStep
    form = WorkflowStepForm
    extra = 0
    min_num = 1
    ordering = ("order",)
    autocomplete_fields = ("approver_users", "approver_team")


class ApprovalWorkflowForm(forms.ModelForm):
    class Meta:
        model = ApprovalWorkflow
        fields = ("name", "description", "active", "match_type", "match_team", "allow_self_service")

    def clean(self):
        """The API's name rule (unique ignoring case), from the service's own check."""
        data = super().clean()
        if data.get("name"):
            try:
                check_name_free(data["name"], exclude_id=self.instance.pk)
            except DomainError as exc:
                form_errors_from(self, exc)
        return data


@admin.register(ApprovalWorkflow)
class ApprovalWorkflowAdmin(admin.ModelAdmin):
    form = ApprovalWorkflowForm
    list_display = ("name", "active", "allow_self_service", "match_type", "match_team", "step_count", "updated_at")
    list_filter = ("active", "allow_self_service", "match_type")
    search_fields = ("name", "description")
    autocomplete_fields = ("match_team",)
    inlines = [WorkflowStepInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("match_team").prefetch_related("steps")

    @admin.display(description="Steps")
    def step_count(self, workflow: ApprovalWorkflow) -> int:
        return len(workflow.steps.all())


class RequestStepInline(admin.TabularInline):
    model = RequestStep
    fields = ("order", "name", "rule", "required_approvals", "state", "opened_at", "closed_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ApprovalRequest)
class ApprovalRequestAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "ticket",
        "workflow_name",
        "state",
        "current_step",
        "steps_total",
        "requested_by",
        "created_at",
    )
    list_filter = ("state",)
    search_fields = ("workflow_name", "ticket__title")
    list_select_related = ("ticket", "requested_by")
    readonly_fields = (
        "ticket",
        "workflow",
        "workflow_name",
        "requested_by",
        "state",
        "current_step",
        "steps_total",
        "created_at",
        "finished_at",
        "cancelled_by",
    )
    inlines = [RequestStepInline]
    actions = ["cancel"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Cancel selected pending approvals")
    def cancel(self, request, queryset):
        run_service_on_each(
            self,
            request,
            queryset,
            lambda approval: approval_cancel(
                actor=request.user, approval_id=approval.pk, reason="Cancelled in the admin"
            ),
            done_message="Cancelled {count} approval(s).",
            label=lambda approval: f"#{approval.pk}",
        )


@admin.register(ApprovalDecision)
class ApprovalDecisionAdmin(admin.ModelAdmin):
    list_display = ("step", "approver", "decided_by", "decision", "created_at")
    list_filter = ("decision",)
    list_select_related = ("step", "approver", "decided_by")
    readonly_fields = ("step", "approver", "decided_by", "decision", "comment", "created_at")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class DelegationForm(forms.ModelForm):
    class Meta:
        model = Delegation
        fields = ("delegator", "delegate", "starts_at", "ends_at", "note")

    def clean(self):
        """The API's rules, from the same checks its services make: an active delegate other than
        the delegator, and (for a new window or changed times) a future window that overlaps none
        of the delegator's others."""
        data = super().clean()
        delegator, delegate = data.get("delegator"), data.get("delegate")
        starts_at, ends_at = data.get("starts_at"), data.get("ends_at")
        if self.errors or delegator is None or starts_at is None or ends_at is None:
            return data
        new_window = self.instance.pk is None or {"starts_at", "ends_at", "delegator"} & set(self.changed_data)
        try:
            if self.instance.pk is None or {"delegate", "delegator"} & set(self.changed_data):
                check_delegate(delegator=delegator, delegate=delegate)
            if new_window:
                check_window(delegator=delegator, starts_at=starts_at, ends_at=ends_at, exclude_id=self.instance.pk)
        except DomainError as exc:
            form_errors_from(self, exc, field_of={"delegate_id": "delegate"})
        return data


@admin.register(Delegation)
class DelegationAdmin(admin.ModelAdmin):
    form = DelegationForm
    list_display = ("delegator", "delegate", "starts_at", "ends_at", "note")
    list_select_related = ("delegator", "delegate")
    search_fields = ("delegator__email", "delegate__email")
    autocomplete_fields = ("delegator", "delegate")
