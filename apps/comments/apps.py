from django.apps import AppConfig


class CommentsConfig(AppConfig):
    name = "apps.comments"
    label = "comments"

    def ready(self):
        """Files are attached to comments the uploader may see: attachments asks comments' rule
        through apps.attachments.hooks, since attachments sits below comments."""
        from apps.attachments import hooks
        from apps.comments.permissions import access_comment

        hooks.register_access_comment(access_comment)
