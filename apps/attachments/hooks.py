"""The one fact about comments that attachments needs, plugged in at startup (dependency inversion).

Comments build on attachments (a comment carries files and deletes them with itself), so
attachments may not import comments; a file uploaded to a comment still needs comments' visibility
rule. apps/comments/apps.py registers it here from CommentsConfig.ready().
"""

from collections.abc import Callable

from apps.core.errors import NotFound

_access_comment: Callable | None = None


def register_access_comment(access: Callable) -> None:
    """`access(user, comment_id)` returns the comment if `user` may see it, else raises NotFound."""
    global _access_comment
    _access_comment = access


def access_comment(user, comment_id: int):
    """The comment (with ticket_id, author_id, deleted) if `user` may see it; NotFound otherwise."""
    if _access_comment is None:  # comments not installed: no comment exists
        raise NotFound("No such comment.")
    return _access_comment(user, comment_id)
