"""Activity-log rows as sentences for the Django admin ("Alan Agent: assigned to Anna Agent").

The SPA words rows itself (frontend/src/lib/activity.ts) from the same payloads and the `names`
the API adds (selectors.with_names); this is the admin's reading of them, so staff never see raw JSON.
"""

from apps.tickets.models import Status, TicketEvent


def _named(event: TicketEvent, kind: str, value) -> str:
    if value is None:
        return "no team" if kind == "team" else "nobody"
    return getattr(event, "names", {}).get(f"{kind}:{value}", f"{kind} #{value}")


def _value(event: TicketEvent, field: str, value) -> str:
    if field == "team_id":
        return _named(event, "team", value)
    if field == "assignee_id":
        return _named(event, "user", value)
    if field == "tags":
        return ", ".join(value) if value else "none"
    if value in (None, ""):
        return "none"
    if field == "status":
        return Status(value).label.lower() if value in Status.values else str(value)
    return str(value)


def _changes(event: TicketEvent) -> str:
    old = event.old if isinstance(event.old, dict) else {}
    new = event.new if isinstance(event.new, dict) else {}
    parts = []
    for field, value in new.items():
        name = field.removesuffix("_id").replace("_", " ")
        if field == "description":
            parts.append("description")
        else:
            parts.append(f"{name} {_value(event, field, old.get(field))} → {_value(event, field, value)}")
    return ", ".join(parts) or "nothing"


def describe(event: TicketEvent) -> str:
    """One sentence for the row (without the actor). Reads `event.names` when set (with_names)."""
    new = event.new if isinstance(event.new, dict) else {}
    old = event.old if isinstance(event.old, dict) else {}
    kind = event.kind
    if kind == "created":
        return "created the ticket"
    if kind == "status_changed":
        return f"changed the status from {_value(event, 'status', event.old)} to {_value(event, 'status', event.new)}"
    if kind == "updated":
        return f"changed {_changes(event)}"
    if kind == "assigned":
        if event.new is None:
            return f"unassigned {_named(event, 'user', event.old)}"
        return f"assigned to {_named(event, 'user', event.new)}"
    if kind == "watcher_added":
        return f"added {_named(event, 'user', event.new)} as a watcher"
    if kind == "watcher_removed":
        return f"{_named(event, 'user', event.old)} stopped watching"
    if kind in ("comment_added", "comment_edited", "comment_deleted"):
        comment_id = new.get("comment_id", old.get("comment_id"))
        verb = kind.removeprefix("comment_")
        return f"{verb} {'an internal note' if event.internal else 'a comment'} (#{comment_id})"
    if kind == "attachment_added":
        return f"attached {new.get('filename', 'a file')}"
    if kind == "attachment_deleted":
        return f"removed {old.get('filename', 'a file')}"
    if kind == "approval_requested":
        return f"requested approval ({new.get('workflow', 'workflow')})"
    if kind == "approval_decided":
        verb = "rejected" if new.get("decision") == "reject" else "approved"
        return f"{verb} at step “{new.get('step_name', new.get('step', '?'))}”"
    if kind == "approval_cancelled":
        return "cancelled the approval"
    if kind == "macro_applied":
        return f"applied the macro “{new.get('name', '?')}”"
    if kind.startswith("sla_"):
        clock = "first response" if new.get("clock") == "first_response" else "resolution"
        policy = f" ({new['policy']})" if new.get("policy") else ""
        return f"SLA {clock} clock{policy}: {kind.removeprefix('sla_').replace('_', ' ')}"
    return kind.replace("_", " ")
