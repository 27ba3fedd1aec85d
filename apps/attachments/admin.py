from django.contrib import admin
from django.template.defaultfilters import filesizeformat

from apps.attachments.models import Attachment
from apps.attachments.services import attachment_delete
from apps.core.admin import run_service_on_each


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    """Read-only list with status and size; deletion goes through the service (object removed too)."""

    list_display = (
        "id",
        "filename",
        "ticket",
        "status",
        "human_size",
        "content_type",
        "internal",
        "uploaded_by",
        "created_at",
    )
    list_filter = ("status", "internal", "storage", "content_type")
    search_fields = ("filename", "ticket__title", "uploaded_by__email")
    list_select_related = ("ticket", "uploaded_by")
    readonly_fields = [field.name for field in Attachment._meta.fields]
    actions = ["delete_through_service"]

    @admin.display(description="size", ordering="size")
    def human_size(self, attachment: Attachment) -> str:
        return filesizeformat(attachment.size)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # only through the action below, which removes the stored object too

    @admin.action(description="Delete selected attachments and their stored files")
    def delete_through_service(self, request, queryset):
        run_service_on_each(
            self,
            request,
            queryset,
            lambda attachment: attachment_delete(actor=request.user, attachment_id=attachment.pk),
            done_message="{count} attachment(s) deleted.",
            label=lambda attachment: attachment.filename,
        )
