"""The kinds of notification (API.md "Notifications"), their labels and default channels."""

from django.db import models


class Kind(models.TextChoices):
    ASSIGNED = "assigned", "Assigned to you"
    MENTIONED = "mentioned", "Mentioned"
    COMMENT_ADDED = "comment_added", "New comments"
    STATUS_CHANGED = "status_changed", "Status changes"
    APPROVAL_REQUESTED = "approval_requested", "Approval requests"
    APPROVAL_REMINDER = "approval_reminder", "Approval reminders"
    APPROVAL_DECIDED = "approval_decided", "Approval decisions"
    SLA_WARNING = "sla_warning", "SLA warnings"
    SLA_BREACHED = "sla_breached", "SLA breaches"


# Every kind is on in both channels until the person turns it off, as in Zammad and Jira Service
# Management: a helpdesk that stays silent by default is the failure this feature exists to fix.
# Each email is already bounded (coalesced per ticket, one-click unsubscribe per kind).
DEFAULTS: dict[str, dict[str, bool]] = {kind: {"in_app": True, "email": True} for kind in Kind.values}

# What an email says it is about, per kind ("You get this email because ..."), and what the
# unsubscribe confirmation names.
EMAIL_TOPIC = {
    Kind.ASSIGNED: "tickets assigned to you",
    Kind.MENTIONED: "mentions of you",
    Kind.COMMENT_ADDED: "new comments on tickets you follow",
    Kind.STATUS_CHANGED: "status changes of tickets you follow",
    Kind.APPROVAL_REQUESTED: "approvals requested from you",
    Kind.APPROVAL_REMINDER: "reminders of approvals waiting for you",
    Kind.APPROVAL_DECIDED: "decisions on approvals you requested or are the requester of",
    Kind.SLA_WARNING: "SLA warnings",
    Kind.SLA_BREACHED: "SLA breaches",
}
