"""Every websocket payload a test makes is checked against the schema the API documents for it.

conftest.py installs `check_event_payload` into apps.core.events for the whole run: a service
that broadcasts an event apps/live/schemas.py doesn't name, or a payload that doesn't match the
OpenAPI component the SPA's TypeScript types come from, fails the test that made it.
"""

import json
from functools import cache

import jsonschema
from django.core.serializers.json import DjangoJSONEncoder


class UndeclaredEvent(AssertionError):
    pass


@cache
def _frame_validators() -> dict[str, jsonschema.Draft202012Validator]:
    """event name → a validator of its whole frame, against the served OpenAPI document."""
    from apps.live.schemas import EVENTS
    from project.api import api

    components = api.get_openapi_schema()["components"]
    validators = {}
    for names, _data, frame in EVENTS:
        validator = jsonschema.Draft202012Validator({"$ref": f"#/components/schemas/{frame}", "components": components})
        validators.update(dict.fromkeys(names, validator))
    return validators


def check_event_payload(event: str, data: dict) -> None:
    """Raises UndeclaredEvent for an event with no schema, jsonschema.ValidationError for a payload
    its schema refuses (as the client gets it: datetimes as ISO strings)."""
    validator = _frame_validators().get(event)
    if validator is None:
        raise UndeclaredEvent(f"websocket event {event!r} has no payload schema: add it to apps/live/schemas.py")
    payload = json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    validator.validate({"type": "event", "topic": "tickets", "event": event, "data": payload})
