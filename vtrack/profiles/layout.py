"""Property layouts compiled to plain functions, for the emission hot path.

A layout (a tuple of :class:`~vtrack.profiles.base.Field`) becomes one straight-line
function, generated once per profile and kind, the way attrs generates ``__init__``: no loop,
no per-field tuple unpacking, just a ``get`` and a test per property.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vtrack.profiles.base import Field

#: ``facts -> properties``.
Layout = Callable[[Mapping[str, Any]], dict[str, Any]]
#: ``(properties, facts) -> None``: completes a copy of the cacheable properties in place.
Fill = Callable[[dict[str, Any], Mapping[str, Any]], None]

Writers = Mapping[str, Callable[[Any], Any]]


def compile_layout(fields: tuple[Field, ...], writers: Writers) -> Layout:
    """A function laying ``facts`` out as ``fields`` say (values that are None are left out)."""
    namespace: dict[str, Any] = {}
    lines = ["def layout(facts):", "    get = facts.get", "    out = {}"]
    lines += _field_lines(fields, writers, namespace)
    lines.append("    return out")
    return _define("layout", lines, namespace)  # type: ignore[no-any-return]


def compile_fill(
    fields: tuple[Field, ...],
    session_fields: tuple[tuple[str, str], ...],
    list_keys: tuple[str, ...],
    writers: Writers,
) -> Fill:
    """A function completing a copy of the cacheable properties with one event's facts.

    It writes the per-session properties (``session_fields``: property, fact) where the
    cacheable part holds their place, replaces each list in ``list_keys`` by a copy (no list
    is shared between two messages), then lays out ``fields``.
    """
    namespace: dict[str, Any] = {}
    lines = ["def fill(out, facts):", "    get = facts.get"]
    for key, fact in session_fields:
        lines += [
            f"    value = get({fact!r})",
            "    if value is None:",
            f"        out.pop({key!r}, None)",  # as a layout leaves out an unknown fact
            "    else:",
            f"        out[{key!r}] = value",
        ]
    for key in list_keys:
        lines += [
            f"    value = out.get({key!r})",
            "    if type(value) is list:",
            f"        out[{key!r}] = value.copy()",
        ]
    lines += _field_lines(fields, writers, namespace)
    lines.append("    return None")
    return _define("fill", lines, namespace)  # type: ignore[no-any-return]


def _field_lines(
    fields: tuple[Field, ...], writers: Writers, namespace: dict[str, Any]
) -> list[str]:
    lines = []
    for index, field in enumerate(fields):
        key = repr(field.key)
        if field.nested is not None:
            namespace[f"nested_{index}"] = compile_layout(field.nested, writers)
            lines.append(f"    out[{key}] = nested_{index}(facts)")
        elif field.fact is None:
            namespace[f"constant_{index}"] = field.value
            if field.value is not None:
                lines.append(f"    out[{key}] = constant_{index}")
        else:
            lines.append(f"    value = get({field.fact!r})")
            lines.append("    if value is not None:")
            if field.write == "raw":
                lines.append(f"        out[{key}] = value")
            else:
                namespace[f"write_{index}"] = writers[field.write]
                lines.append(f"        value = write_{index}(value)")
                lines.append("        if value is not None:")  # a writer may leave it out
                lines.append(f"            out[{key}] = value")
    return lines


def _define(name: str, lines: list[str], namespace: dict[str, Any]) -> Any:
    exec("\n".join(lines), namespace)  # the source is built above from field names only
    return namespace[name]
