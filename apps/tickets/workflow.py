"""The ticket workflow, written once: which status may follow which, and who may make the move.

Actors: "staff" (an agent who can see the ticket, or an admin), "requester" (the ticket's
requester), "system" (the approvals app, through ticket_transition(system=True)). No person
can enter pending_approval/approved/rejected by hand: those moves belong to "system" only.
"""

from apps.tickets.models import Status as S

STAFF, REQUESTER, SYSTEM = "staff", "requester", "system"

TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    (S.NEW, S.OPEN): frozenset({STAFF}),
    (S.NEW, S.IN_PROGRESS): frozenset({STAFF}),
    (S.NEW, S.ON_HOLD): frozenset({STAFF}),
    (S.NEW, S.RESOLVED): frozenset({STAFF}),
    (S.NEW, S.CLOSED): frozenset({STAFF, REQUESTER}),
    (S.OPEN, S.IN_PROGRESS): frozenset({STAFF}),
    (S.OPEN, S.ON_HOLD): frozenset({STAFF}),
    (S.OPEN, S.RESOLVED): frozenset({STAFF}),
    (S.OPEN, S.CLOSED): frozenset({STAFF, REQUESTER}),
    (S.IN_PROGRESS, S.OPEN): frozenset({STAFF}),
    (S.IN_PROGRESS, S.ON_HOLD): frozenset({STAFF}),
    (S.IN_PROGRESS, S.RESOLVED): frozenset({STAFF}),
    (S.ON_HOLD, S.OPEN): frozenset({STAFF}),
    (S.ON_HOLD, S.IN_PROGRESS): frozenset({STAFF}),
    (S.ON_HOLD, S.RESOLVED): frozenset({STAFF}),
    (S.ON_HOLD, S.CLOSED): frozenset({STAFF, REQUESTER}),
    (S.RESOLVED, S.OPEN): frozenset({STAFF, REQUESTER}),  # reopen; requester only within the window
    (S.RESOLVED, S.CLOSED): frozenset({STAFF, REQUESTER}),
    (S.APPROVED, S.IN_PROGRESS): frozenset({STAFF}),
    (S.APPROVED, S.RESOLVED): frozenset({STAFF}),
    (S.APPROVED, S.CLOSED): frozenset({STAFF}),
    (S.REJECTED, S.OPEN): frozenset({STAFF}),
    (S.REJECTED, S.CLOSED): frozenset({STAFF, REQUESTER}),
    # The approvals app's moves.
    (S.NEW, S.PENDING_APPROVAL): frozenset({SYSTEM}),
    (S.OPEN, S.PENDING_APPROVAL): frozenset({SYSTEM}),
    (S.IN_PROGRESS, S.PENDING_APPROVAL): frozenset({SYSTEM}),
    (S.ON_HOLD, S.PENDING_APPROVAL): frozenset({SYSTEM}),
    (S.REJECTED, S.PENDING_APPROVAL): frozenset({SYSTEM}),
    (S.PENDING_APPROVAL, S.APPROVED): frozenset({SYSTEM}),
    (S.PENDING_APPROVAL, S.REJECTED): frozenset({SYSTEM}),
    (S.PENDING_APPROVAL, S.OPEN): frozenset({SYSTEM}),  # the approval request was cancelled
}

# Statuses in which the ticket is finished work (stamps and reopen rules depend on it).
DONE = frozenset({S.RESOLVED, S.CLOSED})


def actors_for(from_status: str, to_status: str) -> frozenset[str]:
    return TRANSITIONS.get((from_status, to_status), frozenset())


def targets_from(from_status: str, actors: set[str]) -> list[str]:
    return [to for (frm, to), allowed in TRANSITIONS.items() if frm == from_status and allowed & actors]
