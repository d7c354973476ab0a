"""Validation of messages against seed 004, Customer.io's OpenAPI document of the video events.

The document ships with vtrack (``vtrack/testing/data``). Milestone events have no schema of
their own there; they are content events with a ``milestone``, so their properties are checked
as content properties.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from importlib import resources
from typing import Any, Final

try:
    import jsonschema
except ImportError as missing:  # pragma: no cover - depends on the installation
    raise ImportError(
        "schema validation needs jsonschema: pip install 'vtrack[testing]'"
    ) from missing

MILESTONE: Final = re.compile(r"^\d+(\.\d+)?% Content Completed$")
TIMESTAMP: Final = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
OPENAPI_DOCUMENT: Final = "customerio-video-events.openapi.json"


@cache
def openapi_document() -> dict[str, Any]:
    """Seed 004 as parsed JSON."""
    text = resources.files("vtrack.testing").joinpath("data", OPENAPI_DOCUMENT).read_text("utf-8")
    return dict(json.loads(text))


@cache
def _validator(reference: str) -> Any:
    schema = {"$ref": reference, "components": openapi_document()["components"]}
    validator = jsonschema.Draft202012Validator
    return validator(schema, format_checker=validator.FORMAT_CHECKER)


def _leaves(errors: Iterable[Any]) -> Iterator[Any]:
    """The errors that say what to fix: inside a oneOf / anyOf, those of the branch that
    came closest (fewest errors), not of every branch."""
    for error in errors:
        if not error.context:
            yield error
            continue
        branches: dict[Any, list[Any]] = {}
        for inner in error.context:
            branch = inner.relative_schema_path[0] if inner.relative_schema_path else None
            branches.setdefault(branch, []).append(inner)
        closest: list[Any] = min(branches.values(), key=len)
        yield from _leaves(closest)


def schema_key(event: str) -> str:
    """The component name of ``event`` in seed 004 (``Video Ad Playing`` -> ...)."""
    return event.lower().replace(" ", "_") + "_event"


def schema_errors(message: Mapping[str, Any]) -> list[str]:
    """Why ``message`` does not satisfy its event's schema (empty if it does)."""
    stamp = message.get("timestamp")
    errors = []
    if not isinstance(stamp, str) or not TIMESTAMP.match(stamp):
        errors.append(f"timestamp {stamp!r} is not YYYY-MM-DDTHH:MM:SS.mmmZ")
    event = str(message.get("event", ""))
    if MILESTONE.match(event):
        validator, instance = (
            _validator("#/components/schemas/content_properties"),
            (message.get("properties")),
        )
    else:
        key = schema_key(event)
        if key not in openapi_document()["components"]["schemas"]:
            return [*errors, f"seed 004 has no schema for {event!r}"]
        validator, instance = _validator(f"#/components/schemas/{key}"), message
    leaves = list(_leaves(validator.iter_errors(instance)))
    # The deepest errors say most (a oneOf's failing branches also complain at the top).
    leaves.sort(key=lambda error: -len(error.absolute_path))
    for error in leaves:
        path = "/".join(str(part) for part in error.absolute_path) or "(message)"
        text = f"{path}: {error.message}"
        if text not in errors:
            errors.append(text)
        if len(errors) == 3 or len(error.absolute_path) < len(leaves[0].absolute_path):
            break
    return errors


def validate(message: Mapping[str, Any]) -> None:
    """Raise ``AssertionError`` if ``message`` does not satisfy its event's schema."""
    errors = schema_errors(message)
    if errors:
        raise AssertionError(f"{message.get('event')!r} breaks seed 004: " + "; ".join(errors))
