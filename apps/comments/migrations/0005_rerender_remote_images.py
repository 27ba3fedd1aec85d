"""Comments rendered before remote images became links (apps/comments/rendering.py) are rendered
again, so no stored `body_html` keeps an `<img>` pointing at a third-party URL. Only rows whose HTML
has an `<img` are touched; the source (`body`) is unchanged, and the mentions rendered as names
keep the names they were rendered with (read back from the stored spans)."""

import html
import re

from django.db import migrations

MENTION_SPAN = re.compile(r'<span class="mention" title="@([^"]*)">@([^<]*)</span>')


def mentions_of(body_html: str) -> dict[str, str]:
    """{lower-cased handle: display name} of the mention spans rendering.render_body wrote."""
    return {html.unescape(handle).lower(): html.unescape(name) for handle, name in MENTION_SPAN.findall(body_html)}


def rerender(apps, schema_editor):
    from apps.comments.rendering import render_body  # pure: the same source and mentions render the same

    Comment = apps.get_model("comments", "Comment")
    rows = Comment.objects.filter(body_html__contains="<img").only("pk", "body", "body_html")
    for comment in rows.iterator(chunk_size=500):
        new_html = render_body(comment.body, mentions_of(comment.body_html))
        Comment.objects.filter(pk=comment.pk).update(body_html=new_html)


class Migration(migrations.Migration):
    dependencies = [("comments", "0004_reports_first_response_index")]

    operations = [migrations.RunPython(rerender, migrations.RunPython.noop)]
