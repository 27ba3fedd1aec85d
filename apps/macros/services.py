"""Every write to macros, and applying one to a ticket. The API and the admin call these.

Applying posts the reply through apps.comments and makes each action through the ticket services
(the same rules, activity rows and events as doing it by hand), all in one transaction: if any step
is refused, nothing of it happens.
"""

from dataclasses import dataclass

from django.db import transaction

from apps.accounts.models import Role, Team, User
from apps.comments.models import Comment
from apps.comments.services import comment_create
from apps.core.errors import Conflict, PermissionDenied, ValidationFailed
from apps.macros.models import AssignAction, Macro, Visibility
from apps.macros.permissions import access_macro, may_change, may_define
from apps.macros.placeholders import PLACEHOLDERS, fill, placeholder_values, unknown_placeholders
from apps.tickets import workflow
from apps.tickets.models import Priority, Status, Ticket
from apps.tickets.permissions import access_ticket
from apps.tickets.services import ticket_assign, ticket_log, ticket_transition, ticket_update

# Statuses a person can move a ticket to (from some status); the rest belong to the approvals app.
PERSON_TARGETS = frozenset(to for (_, to), actors in workflow.TRANSITIONS.items() if actors - {workflow.SYSTEM})
# The fields a macro's owner writes (create and update); everything else is the server's.
FIELDS = ("name", "body", "internal", "visibility", "team_id", "set_status", "set_priority", "assign", "assign_user_id")


def _clean(values: dict) -> dict:
    """Checks a macro's complete field set (after an update's changes are merged in) and returns it
    in model terms. ValidationFailed names each bad field."""
    errors: dict[str, str] = {}
    unknown = unknown_placeholders(values["body"])
    if unknown:
        errors["body"] = f"Unknown placeholder(s): {', '.join(unknown)}. Use one of: {', '.join(sorted(PLACEHOLDERS))}."
    if not values["body"].strip():
        errors["body"] = "The body can't be blank."
    if not values["name"].strip():
        errors["name"] = "The name can't be blank."
    if values["visibility"] == Visibility.TEAM:
        if values["team_id"] is None:
            errors["team_id"] = "A team macro needs a team."
        elif not Team.objects.filter(pk=values["team_id"]).exists():
            errors["team_id"] = "No such team."
    elif values["team_id"] is not None:
        errors["team_id"] = "Only team macros have a team."
    if values["set_status"] and values["set_status"] not in Status.values:
        errors["set_status"] = "No such status."
    elif values["set_status"] and values["set_status"] not in PERSON_TARGETS:
        errors["set_status"] = "Only the approval workflow moves tickets to this status."
    if values["assign"] == AssignAction.USER:
        assignee = User.objects.filter(pk=values["assign_user_id"]).first() if values["assign_user_id"] else None
        if assignee is None or not assignee.is_active or assignee.role not in (Role.AGENT, Role.ADMIN):
            errors["assign_user_id"] = "Assign to an active agent or admin."
    elif values["assign_user_id"] is not None:
        errors["assign_user_id"] = "Name a person only with assign: user."
    if errors:
        raise ValidationFailed(errors)
    priority = values["set_priority"]
    return {
        **values,
        "name": values["name"].strip(),
        "set_status": values["set_status"] or "",
        "set_priority": Priority.from_name(priority) if isinstance(priority, str) else priority,
        "assign": values["assign"] or "",
    }


def _require_staff(actor: User) -> None:
    if not actor.is_staff_role:
        raise PermissionDenied("Only agents and admins can define macros.", code="staff_only")


def _require_may_define(actor: User, values: dict) -> None:
    if not may_define(actor, visibility=values["visibility"], team_id=values["team_id"]):
        raise PermissionDenied(
            "Agents define personal macros and macros of their own teams; global ones are for admins.",
            code="macro_visibility_not_allowed",
        )


@transaction.atomic
def macro_create(
    *,
    actor: User,
    name: str,
    body: str,
    internal: bool = False,
    visibility: str = Visibility.PERSONAL,
    team_id: int | None = None,
    set_status: str | None = None,
    set_priority: str | None = None,
    assign: str | None = None,
    assign_user_id: int | None = None,
) -> Macro:
    """A new macro owned by `actor`. 403 `staff_only` / `macro_visibility_not_allowed`; 422 per field
    (unknown placeholders in `body`, a team for non-team macros, an assignee that can't be one)."""
    values = {key: value for key, value in locals().items() if key in FIELDS}
    _require_staff(actor)
    values = _clean(values)
    _require_may_define(actor, values)
    return Macro.objects.create(owner=actor, **values)


def _current(macro: Macro) -> dict:
    return {
        "name": macro.name,
        "body": macro.body,
        "internal": macro.internal,
        "visibility": macro.visibility,
        "team_id": macro.team_id,
        "set_status": macro.set_status or None,
        "set_priority": macro.priority_name,
        "assign": macro.assign or None,
        "assign_user_id": macro.assign_user_id,
    }


@transaction.atomic
def macro_update(*, actor: User, macro_id: int, version: int, changes: dict) -> Macro:
    """Changes the fields in `changes` (keys of FIELDS) if `version` is current (else 409
    `stale_version`). 404 when the macro is not visible to `actor`, 403 `not_editable` when it is but
    they may not change it, or may not give it the new visibility."""
    macro = access_macro(actor, macro_id, for_update=True)
    if not may_change(actor, macro):
        raise PermissionDenied("You can use this macro but not change it.", code="not_editable")
    if version != macro.version:
        raise Conflict(
            "Someone changed this macro since you loaded it.",
            code="stale_version",
            details={"current_version": macro.version},
        )
    current = _current(macro)
    merged = {**current, **{key: value for key, value in changes.items() if key in FIELDS}}
    if merged == current:
        return macro
    values = _clean(merged)
    if (values["visibility"], values["team_id"]) != (macro.visibility, macro.team_id):
        _require_may_define(actor, values)
    for key, value in values.items():
        setattr(macro, key, value)
    macro.version += 1
    macro.save()
    return macro


@transaction.atomic
def macro_delete(*, actor: User, macro_id: int) -> None:
    macro = access_macro(actor, macro_id, for_update=True)
    if not may_change(actor, macro):
        raise PermissionDenied("You can use this macro but not delete it.", code="not_editable")
    macro.delete()


def action_summary(macro: Macro) -> list[str]:
    """The macro's actions in words, in the order apply makes them: what the picker shows."""
    lines = []
    if macro.assign == AssignAction.ME:
        lines.append("Assign to me")
    elif macro.assign == AssignAction.NOBODY:
        lines.append("Unassign")
    elif macro.assign == AssignAction.USER:
        who = macro.assign_user.display_name if macro.assign_user else "(a person who no longer exists)"
        lines.append(f"Assign to {who}")
    if macro.set_priority:
        lines.append(f"Set priority to {macro.priority_name}")
    if macro.set_status:
        lines.append(f"Set status to {Status(macro.set_status).label}")
    return lines


def macro_render(*, actor: User, ticket: Ticket, macro: Macro) -> str:
    """The macro's body with its placeholders filled for `ticket` as `actor` would apply it."""
    return fill(macro.body, placeholder_values(ticket=ticket, agent=actor))


@dataclass
class MacroApplied:
    comment: Comment
    ticket_id: int
    applied: list[str]


def _assignee_id(actor: User, macro: Macro) -> int | None:
    if macro.assign == AssignAction.ME:
        return actor.pk
    if macro.assign == AssignAction.USER:
        if macro.assign_user_id is None:
            raise ValidationFailed({"macro_id": "The person this macro assigns to no longer exists."})
        return macro.assign_user_id
    return None


@transaction.atomic
def macro_apply(*, actor: User, ticket_id: int, macro_id: int, body: str | None = None) -> MacroApplied:
    """Posts the macro's reply on the ticket and makes its actions, in one transaction.

    `body`: the reply as the agent edited it after a preview, posted as written; None posts the
    macro's body with its placeholders filled. Order: the reply (public or internal as the macro
    says), then assignee, priority, status — each through the ticket services (their permission
    checks, activity rows and events; a status the ticket already has is no change). Any refusal
    (404 ticket or macro, 403, 409, 422) rolls everything back. Returns the comment, the ticket id
    and the actions made, in words.
    """
    macro = access_macro(actor, macro_id)
    access_ticket(actor, ticket_id, for_update=True)  # held to the end: the actions see one state
    ticket = Ticket.objects.select_related("requester", "team", "assignee").get(pk=ticket_id)
    text = body if body is not None else macro_render(actor=actor, ticket=ticket, macro=macro)
    ticket_log(
        ticket=ticket,
        actor=actor,
        kind="macro_applied",
        new={"macro_id": macro.pk, "name": macro.name},
        internal=macro.internal,
    )
    comment = comment_create(actor=actor, ticket_id=ticket_id, body=text, internal=macro.internal)
    if macro.assign:
        ticket_assign(actor=actor, ticket_id=ticket_id, assignee_id=_assignee_id(actor, macro))
    if macro.set_priority:
        version = Ticket.objects.values_list("version", flat=True).get(pk=ticket_id)
        ticket_update(actor=actor, ticket_id=ticket_id, version=version, changes={"priority": macro.priority_name})
    if macro.set_status and Ticket.objects.filter(pk=ticket_id).exclude(status=macro.set_status).exists():
        ticket_transition(actor=actor, ticket_id=ticket_id, status=macro.set_status, reason=f"Macro: {macro.name}")
    return MacroApplied(comment=comment, ticket_id=ticket_id, applied=action_summary(macro))
