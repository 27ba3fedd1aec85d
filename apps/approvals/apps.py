from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    name = "apps.approvals"
    label = "approvals"

    def ready(self):
        """Approvers (and their delegates) may see the tickets they are asked about and hear their
        events, and a ticket's detail shows its latest approval request: tickets asks for these
        facts through apps.tickets.hooks, since it may not import approvals."""
        from apps.approvals.selectors import approver_ticket_ids, approver_user_ids, latest_approval_summary
        from apps.tickets import hooks

        hooks.register_visible_ticket_ids("approvers", approver_ticket_ids)
        hooks.register_audience_user_ids("approvers", approver_user_ids)
        hooks.register_detail_field("approval", latest_approval_summary)
