"""Websocket routes and the origin check in front of them."""

from channels.security.websocket import AllowedHostsOriginValidator, OriginValidator
from django.conf import settings
from django.urls import path

from apps.live.consumers import EventsConsumer

websocket_urlpatterns = [path("ws/v1/events", EventsConsumer.as_asgi())]


class BrowserOriginValidator(OriginValidator):
    """Channels' AllowedHostsOriginValidator, extended in two ways.

    - Origins in CORS_ALLOWED_ORIGINS are accepted too: a SPA served from a static host talks to
      this socket from there, exactly as it calls the REST API.
    - A handshake without an Origin header is let through: browsers always send one, so a missing
      header means a script (e.g. with a personal API token), and a script could forge any Origin
      anyway. The check exists against cross-site pages in a browser; the socket authenticates with
      a token in its first frame, never with cookies.
    """

    def valid_origin(self, parsed_origin):
        return parsed_origin is None or super().valid_origin(parsed_origin)


def origin_checked(application):
    allowed_hosts = AllowedHostsOriginValidator(application).allowed_origins
    return BrowserOriginValidator(application, [*allowed_hosts, *settings.CORS_ALLOWED_ORIGINS])
