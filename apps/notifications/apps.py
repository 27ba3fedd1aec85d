from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "apps.notifications"
    label = "notifications"

    def ready(self) -> None:
        from apps.core.events import subscribe
        from apps.notifications.subscriber import on_domain_event

        # Above the domain apps: notifications hang off what services announce after commit.
        subscribe(on_domain_event)
