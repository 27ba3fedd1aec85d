"""Deleted comments lose their text and edit history (before, the placeholder kept both in storage
and /comments/{id}/revisions still showed the old text)."""

from django.db import migrations


def erase_deleted_text(apps, schema_editor):
    Comment = apps.get_model("comments", "Comment")
    CommentRevision = apps.get_model("comments", "CommentRevision")
    CommentRevision.objects.filter(comment__deleted_at__isnull=False).delete()
    Comment.objects.filter(deleted_at__isnull=False).exclude(body="", body_html="").update(body="", body_html="")


class Migration(migrations.Migration):
    dependencies = [("comments", "0001_initial")]

    operations = [migrations.RunPython(erase_deleted_text, migrations.RunPython.noop)]
