"""Player callbacks as data, for replaying, generating and comparing sessions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from vtrack.core.machine import CALLBACKS


def _known(_instance: Any, _attribute: Any, value: str) -> None:
    if value not in CALLBACKS:
        raise ValueError(f"unknown callback {value!r}; known callbacks: {', '.join(CALLBACKS)}")


@attrs.frozen
class Callback:
    """One player callback: its ``name`` (see :data:`vtrack.core.machine.CALLBACKS`), when it
    happened (``at``, seconds; ``None`` to read the session's clock) and its arguments, the
    keyword arguments of the :class:`~vtrack.Session` method of the same name.
    """

    name: str = attrs.field(validator=_known)
    at: float | None = None
    args: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class Anomaly:
    """A callback the session absorbed: which one, in which state, why, and when."""

    callback: str
    state: str
    reason: str
    at: float | None
