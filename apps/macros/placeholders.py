"""Placeholders of macro bodies: `{{ticket.number}}` and friends, filled by one regular-expression pass.

No template engine runs on a macro body (a body is user input: Django or Jinja templates would let
it reach attributes, filters and tags). The only thing recognised is `{{ name }}` for a name in
PLACEHOLDERS; a body naming anything else is refused when the macro is saved (422 on `body`), so a
typo never reaches a customer. Substitution is a single pass: a value that itself contains `{{...}}`
(a ticket titled "{{agent.name}}") is inserted as text and never expanded.

Values are people's names and ticket titles, i.e. text others wrote. They are inserted into a
Markdown body, so Markdown's punctuation in them is backslash-escaped and line breaks become
spaces: a requester named "[click](https://evil.example)" stays that text, not a link. (The comment
is sanitised on rendering anyway, apps.comments.rendering; this keeps the *meaning* of the reply.)
"""

import re
from dataclasses import dataclass

from django.conf import settings

from apps.accounts.models import User
from apps.tickets.models import Status, Ticket


@dataclass(frozen=True)
class Placeholder:
    description: str
    example: str


PLACEHOLDERS: dict[str, Placeholder] = {
    "ticket.number": Placeholder("The ticket's key", "HD-42"),
    "ticket.title": Placeholder("The ticket's title", "Printer on fire"),
    "ticket.status": Placeholder("The ticket's status before the macro's actions", "Open"),
    "ticket.priority": Placeholder("The ticket's priority before the macro's actions", "high"),
    "ticket.url": Placeholder("Link to the ticket in the web app", "https://helpdesk.example/tickets/42"),
    "requester.name": Placeholder("The requester's display name", "Rita Requester"),
    "requester.first_name": Placeholder("The first word of the requester's name", "Rita"),
    "agent.name": Placeholder("The person applying the macro", "Alan Agent"),
    "agent.first_name": Placeholder("The first word of that person's name", "Alan"),
    "team.name": Placeholder("The ticket's team, or 'the service desk' when it has none", "Service Desk"),
    "assignee.name": Placeholder("The ticket's assignee before the macro's actions, or 'unassigned'", "Alan Agent"),
}

PATTERN = re.compile(r"\{\{\s*([A-Za-z0-9_.]+)\s*\}\}")
# CommonMark's inline punctuation that would change meaning: emphasis, links, images, code, raw
# HTML, strikethrough, tables. An entity (`&lt;`) only when one is spelled; a block marker
# (heading, list item, quote) only at the value's start, where a placeholder may begin a line.
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>!~|])")
_ENTITY = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
_BLOCK_START = re.compile(r"^([#+=\-]|[0-9]+(?=[.)]))")
_LINE_BREAKS = re.compile(r"\s*[\r\n]+\s*")


def unknown_placeholders(body: str) -> list[str]:
    """Names in `{{...}}` that are not in PLACEHOLDERS, in order of first appearance, without repeats."""
    unknown: list[str] = []
    for name in PATTERN.findall(body):
        if name not in PLACEHOLDERS and name not in unknown:
            unknown.append(name)
    return unknown


def escape_markdown(value: str) -> str:
    """`value` as literal text inside Markdown: one line, punctuation backslash-escaped."""
    text = _INLINE_SPECIAL.sub(r"\\\1", _LINE_BREAKS.sub(" ", value).strip())
    text = _ENTITY.sub(r"\\&", text)
    match = _BLOCK_START.match(text)
    if match is None:
        return text
    marker = match.group(1)
    # "1." starts a list: escape the dot after the digits; "#", "-", "+", "=" are escaped themselves.
    if marker[0].isdigit():
        return f"{marker}\\{text[len(marker) :]}"
    return f"\\{text}"


def _first_word(name: str) -> str:
    return name.split()[0] if name.split() else name


def placeholder_values(*, ticket: Ticket, agent: User) -> dict[str, str]:
    """Every placeholder's raw (unescaped) value for `ticket` as `agent` applies a macro to it.

    Reads `ticket.requester`, `.team` and `.assignee` (select_related them to save queries).
    """
    requester_name = ticket.requester.display_name
    return {
        "ticket.number": ticket.key,
        "ticket.title": ticket.title,
        "ticket.status": Status(ticket.status).label,
        "ticket.priority": ticket.priority_name,
        "ticket.url": f"{settings.SITE_URL.rstrip('/')}/tickets/{ticket.pk}",
        "requester.name": requester_name,
        "requester.first_name": _first_word(requester_name),
        "agent.name": agent.display_name,
        "agent.first_name": _first_word(agent.display_name),
        "team.name": ticket.team.name if ticket.team_id else "the service desk",
        "assignee.name": ticket.assignee.display_name if ticket.assignee_id else "unassigned",
    }


def fill(body: str, values: dict[str, str]) -> str:
    """`body` with each known `{{name}}` replaced by its Markdown-escaped value, in one pass.

    Unknown names are left as written (saving a macro refuses them; see unknown_placeholders).
    """

    def replace(match: re.Match) -> str:
        name = match.group(1)
        return escape_markdown(values[name]) if name in values else match.group(0)

    return PATTERN.sub(replace, body)
