from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "apps.sla"
    label = "sla"
    verbose_name = "SLA"

    def ready(self) -> None:
        from apps.core.events import subscribe, subscribe_in_transaction
        from apps.sla.triggers import enqueue_backstop, on_domain_event

        subscribe_in_transaction(enqueue_backstop)
        subscribe(on_domain_event)
