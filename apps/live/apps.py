from django.apps import AppConfig


class LiveConfig(AppConfig):
    """The websocket side of the app: the consumer, its routes and per-recipient event filtering.

    It sits above the domain apps (it asks tickets.permissions who may see what); nothing imports it
    but project/asgi.py. Domain apps announce changes through apps.core.events.
    """

    name = "apps.live"
    label = "live"
