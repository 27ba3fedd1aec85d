"""Who may read reports (the dashboard): agents and admins (API.md "Reports"). Requesters get 403."""

from apps.accounts.models import User
from apps.core.errors import PermissionDenied


def may_view_reports(user: User) -> bool:
    return user.is_staff_role


def require_may_view_reports(user: User) -> None:
    """PermissionDenied `staff_only` unless may_view_reports."""
    if not may_view_reports(user):
        raise PermissionDenied("Reports are for agents and admins.", code="staff_only")
