from django.contrib import admin

from apps.comments.models import Comment, CommentRevision
from apps.comments.services import comment_delete
from apps.core.admin import ReadOnlyAdminMixin, run_service_on_each


class RevisionInline(admin.TabularInline):
    model = CommentRevision
    fields = ("replaced_at", "editor", "body")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: comments are written by their authors. Admins can soft-delete through the service."""

    list_display = ("id", "ticket", "author", "internal", "short_body", "created_at", "edited_at", "deleted_at")
    list_filter = ("internal", ("deleted_at", admin.EmptyFieldListFilter))
    search_fields = ("body", "ticket__title", "author__email")
    list_select_related = ("ticket", "author")
    readonly_fields = [field.name for field in Comment._meta.fields]
    inlines = [RevisionInline]
    actions = ["soft_delete"]

    @admin.display(description="body")
    def short_body(self, comment: Comment) -> str:
        return comment.body[:80]

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description="Delete selected comments (placeholder kept in the thread)")
    def soft_delete(self, request, queryset):
        run_service_on_each(
            self,
            request,
            queryset,
            lambda comment: comment_delete(actor=request.user, comment_id=comment.pk),
            done_message="{count} comment(s) deleted.",
            label=lambda comment: f"comment {comment.pk}",
        )
