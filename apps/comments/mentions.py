"""`@handle` (a username) and `@email` mentions in a comment body."""

import re

from django.db.models import Q

from apps.accounts.models import User

# Not preceded by a word character, so "me@example.com" in prose is not a mention of "example.com".
MENTION = re.compile(
    r"(?<![\w@.])@(?P<target>[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+|[A-Za-z0-9_.+-]*[A-Za-z0-9_+-])"
)
# A comment that names more people than this is a broadcast, not a mention.
MAX_MENTIONS = 20


def mentioned_names(body: str) -> tuple[set[str], set[str]]:
    """(handles, emails) mentioned in the body, lower-cased."""
    handles, emails = set(), set()
    for match in MENTION.finditer(body):
        target = match.group("target").lower()
        (emails if "@" in target else handles).add(target)
    return handles, emails


def mentioned_users(body: str) -> list[User]:
    """Active users the body mentions, by username or email (case-insensitive), at most MAX_MENTIONS."""
    handles, emails = mentioned_names(body)
    query = Q()
    for handle in sorted(handles)[:MAX_MENTIONS]:
        query |= Q(username__iexact=handle)
    for email in sorted(emails)[:MAX_MENTIONS]:
        query |= Q(email__iexact=email)
    if not query:
        return []
    return list(User.objects.filter(query, is_active=True).order_by("pk")[:MAX_MENTIONS])
