"""Validation of emitted messages against seed 004 (Customer.io's OpenAPI video events)."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

OPENAPI = Path(__file__).parent / "data" / "customerio-video-events.openapi.json"
MILESTONE = re.compile(r"^\d+(\.\d+)?% Content Completed$")
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@cache
def _document() -> dict[str, Any]:
    return dict(json.loads(OPENAPI.read_text(encoding="utf-8")))


@cache
def _validator(reference: str) -> jsonschema.Draft202012Validator:
    schema = {"$ref": reference, "components": _document()["components"]}
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def schema_key(event: str) -> str:
    """The component name of ``event`` in seed 004 (``Video Ad Playing`` -> ...)."""
    return event.lower().replace(" ", "_") + "_event"


def validate(message: dict[str, Any]) -> None:
    """Raise if ``message`` does not satisfy the schema of its event.

    Milestone events have no schema of their own; their properties are checked as content
    properties (they are content events with a ``milestone``).
    """
    assert TIMESTAMP.match(message["timestamp"]), message["timestamp"]
    event = message["event"]
    if MILESTONE.match(event):
        _validator("#/components/schemas/content_properties").validate(message["properties"])
        return
    key = schema_key(event)
    assert key in _document()["components"]["schemas"], f"no schema for {event!r}"
    _validator(f"#/components/schemas/{key}").validate(message)
