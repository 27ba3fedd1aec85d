from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "apps.tickets"
    label = "tickets"

    def ready(self) -> None:
        from apps.accounts import hooks
        from apps.tickets.permissions import creatable_fields

        hooks.register_me_permissions("tickets", lambda user: {"create_ticket_fields": creatable_fields(user)})
