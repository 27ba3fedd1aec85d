"""Comments rendered before remote images became links (apps/comments/rendering.py) are rendered
again, so no stored `body_html` keeps an `<img>` pointing at a third-party URL. Only rows whose HTML
has an `<img` are touched; the source (`body`) is unchanged."""

from django.db import migrations


def rerender(apps, schema_editor):
    from apps.comments.rendering import render_body  # pure: the same source always renders the same

    Comment = apps.get_model("comments", "Comment")
    for comment in Comment.objects.filter(body_html__contains="<img").only("pk", "body").iterator(chunk_size=500):
        Comment.objects.filter(pk=comment.pk).update(body_html=render_body(comment.body))


class Migration(migrations.Migration):
    dependencies = [("comments", "0004_reports_first_response_index")]

    operations = [migrations.RunPython(rerender, migrations.RunPython.noop)]
