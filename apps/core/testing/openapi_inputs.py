"""Every input location of the API, read from its own OpenAPI schema, for table-driven tests.

    for op in operations(schema):
        for location in op.locations():          # every path/query parameter and body field
            request = op.request_with(location, value)   # a valid request, except this one value

A location is a path parameter, a query parameter, or a field of the JSON body at any depth
(`steps.0.name`). `request_with` starts from a request that passes validation (sample values for
what is required) and sets just the one value, so a 422 can be pinned on that field.
"""

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

VALID_DATETIME = "2030-01-01T09:00:00Z"


@dataclass(frozen=True)
class Location:
    where: str  # "path", "query" or "body"
    name: str  # the name details.fields uses: "ticket_id", "limit", "steps.0.name"
    keys: tuple  # the path into the body: ("steps", 0, "name"); (name,) for parameters
    schema: dict  # the JSON schema of the value, $refs resolved, nullable branches kept
    required: bool

    @property
    def nullable(self) -> bool:
        return _allows_null(self.schema)

    @property
    def kinds(self) -> set[str]:
        """The value kinds the location accepts: "string", "integer", "date-time", "boolean", ..."""
        return _kinds(self.schema)


@dataclass
class Operation:
    method: str
    path: str
    spec: dict
    components: dict
    parameters: list[dict] = field(default_factory=list)
    body_schema: dict | None = None

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"

    def locations(self) -> Iterator[Location]:
        for param in self.parameters:
            schema = resolve(param.get("schema", {}), self.components)
            yield Location(param["in"], param["name"], (param["name"],), schema, bool(param.get("required")))
        if self.body_schema is not None:
            yield from _body_locations(self.body_schema, self.components, ())

    def request_with(self, location: Location | None = None, value: Any = None) -> dict:
        """{"method", "url", "query": {...}, "body": ... or None}: valid, except `location` = `value`."""
        path_values = {
            p["name"]: sample(resolve(p["schema"], self.components), self.components) for p in self.path_params
        }
        query = {
            p["name"]: sample(resolve(p["schema"], self.components), self.components)
            for p in self.parameters
            if p["in"] == "query" and p.get("required")
        }
        body = sample(self.body_schema, self.components) if self.body_schema is not None else None
        if location is not None:
            if location.where == "path":
                path_values[location.name] = value
            elif location.where == "query":
                query[location.name] = value
            else:
                body = _set(body, location.keys, value, self.body_schema, self.components)
        url = self.path
        for name, path_value in path_values.items():
            url = url.replace("{" + name + "}", _path_segment(path_value))
        return {"method": self.method, "url": url, "query": query, "body": body}

    @property
    def path_params(self) -> list[dict]:
        return [p for p in self.parameters if p["in"] == "path"]


def operations(schema: dict) -> list[Operation]:
    components = schema.get("components", {}).get("schemas", {})
    result = []
    for path, methods in schema["paths"].items():
        for method, spec in methods.items():
            body = spec.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            result.append(
                Operation(
                    method=method,
                    path=path,
                    spec=spec,
                    components=components,
                    parameters=list(spec.get("parameters", [])),
                    body_schema=resolve(body, components) if body is not None else None,
                )
            )
    return result


def resolve(schema: dict, components: dict) -> dict:
    """The schema with a top-level $ref (also one inside allOf of length 1) replaced by its target."""
    while True:
        if "$ref" in schema:
            schema = {
                **components[schema["$ref"].rsplit("/", 1)[-1]],
                **{k: v for k, v in schema.items() if k != "$ref"},
            }
        elif len(schema.get("allOf", [])) == 1:
            schema = {**resolve(schema["allOf"][0], components), **{k: v for k, v in schema.items() if k != "allOf"}}
        else:
            return schema


def _branches(schema: dict) -> list[dict]:
    return schema.get("anyOf") or schema.get("oneOf") or [schema]


def _allows_null(schema: dict) -> bool:
    return any(branch.get("type") == "null" for branch in _branches(schema)) or schema.get("type") == "null"


def _non_null(schema: dict, components: dict) -> dict:
    for branch in _branches(schema):
        if branch.get("type") != "null":
            return resolve(branch, components)
    return schema


def _kinds(schema: dict) -> set[str]:
    kinds = set()
    for branch in _branches(schema):
        kind = branch.get("type")
        if kind == "string" and branch.get("format") == "date-time":
            kind = "date-time"
        if kind and kind != "null":
            kinds.add(kind)
        if "enum" in branch or "const" in branch:
            kinds.add("enum")
    return kinds


def _body_locations(schema: dict, components: dict, keys: tuple) -> Iterator[Location]:
    schema = _non_null(schema, components)
    required = set(schema.get("required", []))
    for name, prop in schema.get("properties", {}).items():
        prop = resolve(prop, components)
        inner = _non_null(prop, components)
        prop_keys = (*keys, name)
        yield Location("body", ".".join(str(k) for k in prop_keys), prop_keys, prop, name in required)
        if inner.get("type") == "object" and "properties" in inner:
            yield from _body_locations(inner, components, prop_keys)
        elif inner.get("type") == "array":
            item = resolve(inner.get("items", {}), components)
            item_keys = (*prop_keys, 0)
            if item.get("type") == "object" and "properties" in item:
                yield from _body_locations(item, components, item_keys)
            else:
                yield Location("body", ".".join(str(k) for k in item_keys), item_keys, item, True)


def sample(schema: dict | None, components: dict) -> Any:
    """A value the schema accepts (and the server's own validators too, for this API's fields)."""
    if schema is None:
        return None
    schema = _non_null(resolve(schema, components), components)
    if "default" in schema and schema["default"] is not None:
        return copy.deepcopy(schema["default"])
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    if kind == "object":
        return {
            name: sample(prop, components)
            for name, prop in schema.get("properties", {}).items()
            if name in schema.get("required", [])
        }
    if kind == "array":
        count = schema.get("minItems", 0)
        return [sample(schema.get("items", {}), components) for _ in range(count)]
    if kind == "integer":
        return max(schema.get("minimum", 1), 1)
    if kind == "number":
        return max(schema.get("minimum", 1), 1)
    if kind == "boolean":
        return False
    if kind == "string":
        if schema.get("format") == "date-time":
            return VALID_DATETIME
        if schema.get("format") == "email":
            return "someone@example.com"
        return "x" * max(schema.get("minLength", 1), 1)
    return "x"


def _set(body: Any, keys: tuple, value: Any, schema: dict, components: dict) -> Any:
    """`body` with the value at `keys` set, creating what lies between from the schema."""
    body = copy.deepcopy(body)
    container = body
    current = _non_null(schema, components)
    for depth, key in enumerate(keys):
        last = depth == len(keys) - 1
        if isinstance(key, int):
            item_schema = resolve(current.get("items", {}), components)
            while len(container) <= key:
                container.append(sample(item_schema, components))
            if last:
                container[key] = value
            else:
                container = container[key]
                current = _non_null(item_schema, components)
        else:
            prop = resolve(current.get("properties", {}).get(key, {}), components)
            if last:
                container[key] = value
            else:
                inner = _non_null(prop, components)
                if not isinstance(container.get(key), dict | list):
                    container[key] = [] if inner.get("type") == "array" else sample(inner, components)
                container = container[key]
                current = inner
    return body


def _path_segment(value: Any) -> str:
    from urllib.parse import quote

    return quote(str(value), safe="")
