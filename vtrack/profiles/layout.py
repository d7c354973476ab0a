"""Property layouts compiled to plain functions, for the emission hot path.

A layout (a tuple of :class:`~vtrack.profiles.base.Field`) becomes one straight-line
function ``facts -> properties``, generated once per profile and kind, the way attrs generates
``__init__``: no loop, no per-field tuple unpacking, just a ``get`` and a test per property.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vtrack.profiles.base import Field

Layout = Callable[[Mapping[str, Any]], dict[str, Any]]


def compile_layout(
    fields: tuple[Field, ...], writers: Mapping[str, Callable[[Any], Any]]
) -> Layout:
    """A function laying ``facts`` out as ``fields`` say (values that are None are left out)."""
    namespace: dict[str, Any] = {}
    lines = ["def layout(facts):", "    get = facts.get", "    out = {}"]
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
    lines.append("    return out")
    exec("\n".join(lines), namespace)  # the source is built above from field names only
    layout: Layout = namespace["layout"]
    return layout
