from django.contrib import admin, messages

from apps.core.admin import ReadOnlyAdminMixin
from apps.notifications import services
from apps.notifications.models import Notification, NotificationSetting, OutgoingEmail


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "recipient", "kind", "ticket", "in_app", "read_at", "email_state")
    list_filter = ("kind", "email_state", "in_app")
    search_fields = ("recipient__email", "recipient__username", "message")
    list_select_related = ("recipient", "ticket")
    raw_id_fields = ("recipient", "ticket", "actor", "email")
    date_hierarchy = "created_at"


class NotificationInline(admin.TabularInline):
    model = Notification
    fk_name = "email"
    extra = 0
    can_delete = False
    fields = ("created_at", "kind", "message", "email_state", "read_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every notification email: pending (its coalescing window is open), sent, skipped, failed.
    "Resend" puts failed emails (and ones a dead worker left in `sending`) back on the queue."""

    list_display = ("created_at", "recipient", "ticket", "state", "attempts", "send_after", "sent_at", "last_error")
    list_filter = ("state",)
    search_fields = ("recipient__email", "subject", "message_id")
    list_select_related = ("recipient", "ticket")
    raw_id_fields = ("recipient", "ticket")
    date_hierarchy = "created_at"
    inlines = [NotificationInline]
    actions = ["resend"]

    @admin.action(description="Resend (failed, or stuck in sending)", permissions=["view"])
    def resend(self, request, queryset) -> None:
        count = services.emails_resend(email_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{count} email(s) queued again.", messages.SUCCESS if count else messages.WARNING)


@admin.register(NotificationSetting)
class NotificationSettingAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """People change their own settings (profile page, unsubscribe links); shown here for support."""

    list_display = ("user", "kind", "in_app", "email", "updated_at")
    list_filter = ("kind", "in_app", "email")
    search_fields = ("user__email", "user__username")
    raw_id_fields = ("user",)
