from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from apps.accounts import services
from apps.accounts.models import ApiToken, Team, User
from apps.core.admin import run_service_on_each


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "email", "name", "role", "is_staff", "is_active", "last_login")
    list_filter = ("role", "is_staff", "is_active", "teams")
    search_fields = ("username", "email", "name", "clerk_id")
    fieldsets = (*DjangoUserAdmin.fieldsets, ("Helpdesk", {"fields": ("name", "role", "clerk_id")}))
    add_fieldsets = (*DjangoUserAdmin.add_fieldsets, ("Helpdesk", {"fields": ("email", "name", "role")}))

    def save_model(self, request, obj, form, change):
        # Role and the active flag decide what open websockets may see: they change through the
        # service, which tells those sockets (apps.accounts.services.user_access_update).
        access = {
            field: getattr(obj, field) for field in ("role", "is_active") if change and field in form.changed_data
        }
        for field in access:
            setattr(obj, field, form.initial[field])
        super().save_model(request, obj, form, change)
        if access:
            services.user_access_update(user=obj, **access)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "lead", "member_count")
    search_fields = ("name",)
    filter_horizontal = ("members",)
    autocomplete_fields = ("lead",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("lead").prefetch_related("members")

    def save_related(self, request, form, formsets, change):
        # Membership goes through the service so the members' open websockets learn of it.
        members = form.cleaned_data.pop("members", None)
        super().save_related(request, form, formsets, change)
        if members is not None:
            services.team_members_set(team=form.instance, members=list(members))

    def delete_model(self, request, obj):
        services.team_delete(team=obj)

    def delete_queryset(self, request, queryset):
        for team in queryset:
            services.team_delete(team=team)

    @admin.display(description="Members")
    def member_count(self, team: Team) -> int:
        return len(team.members.all())


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created by their owners through the API; staff can only inspect and revoke them."""

    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix", "user__email")
    list_select_related = ("user",)
    readonly_fields = ("user", "name", "prefix", "created_at", "last_used_at", "expires_at")
    exclude = ("secret_hash",)
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Revoke selected tokens")
    def revoke(self, request, queryset):
        """Through api_token_revoke, as the owner's DELETE does: its open websockets close too."""
        run_service_on_each(
            self,
            request,
            queryset.filter(revoked_at__isnull=True).select_related("user"),
            lambda token: services.api_token_revoke(user=token.user, token_id=token.pk),
            done_message="Revoked {count} token(s).",
        )
