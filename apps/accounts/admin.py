from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils import timezone

from apps.accounts.models import ApiToken, Team, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "email", "name", "role", "is_staff", "is_active", "last_login")
    list_filter = ("role", "is_staff", "is_active", "teams")
    search_fields = ("username", "email", "name", "clerk_id")
    fieldsets = DjangoUserAdmin.fieldsets + (("Helpdesk", {"fields": ("name", "role", "clerk_id")}),)
    add_fieldsets = DjangoUserAdmin.add_fieldsets + (("Helpdesk", {"fields": ("email", "name", "role")}),)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "lead", "member_count")
    search_fields = ("name",)
    filter_horizontal = ("members",)
    autocomplete_fields = ("lead",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("lead").prefetch_related("members")

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
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"Revoked {count} token(s).")
