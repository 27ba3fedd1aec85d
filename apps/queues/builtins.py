"""The views every agent and admin has without saving anything (issue 15): code, not rows, so they
follow the list's rules as those change. Keys are stable: the SPA and the counts refer to them."""

from dataclasses import dataclass

from apps.queues.models import DEFAULT_COLUMNS
from apps.tickets.models import Status
from apps.tickets.workflow import DONE

NOT_DONE = ",".join(status for status in Status.values if status not in DONE)


@dataclass(frozen=True)
class BuiltinView:
    key: str
    name: str
    filters: str  # the list's query string
    ordering: str = ""
    columns: tuple[str, ...] = DEFAULT_COLUMNS


BUILTIN_VIEWS = (
    BuiltinView("my_open", "My open", f"status={NOT_DONE}&assignee=me", "-updated"),
    BuiltinView("unassigned_in_my_teams", "Unassigned in my teams", f"status={NOT_DONE}&assignee=none&my_teams=true"),
    # The list orders sla=at_risk nearest deadline first by default.
    BuiltinView("at_risk", "At risk", "sla=at_risk"),
    BuiltinView("waiting_for_approval", "Waiting for approval", "status=pending_approval", "-updated"),
)
