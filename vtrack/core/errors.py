"""The exceptions vtrack raises: one hierarchy under :class:`VtrackError`."""

from __future__ import annotations

from typing import Any, TypeVar


class VtrackError(Exception):
    """Base class of every error vtrack raises on purpose."""


class InvalidCallback(VtrackError):
    """A callback made no sense in the session's state (raised only with ``strict=True``).

    Attributes name the callback, the state it arrived in and why it was refused.
    """

    def __init__(self, callback: str, state: str, reason: str, at: float | None) -> None:
        self.callback = callback
        self.state = state
        self.reason = reason
        self.at = at
        super().__init__(f"{callback!r} refused in state {state!r} at t={at!r}: {reason}")


class MissingTime(VtrackError):
    """A callback came without ``at`` and the session has no clock to read it from."""


class SinkError(VtrackError):
    """A sink raised while taking a message.

    The session stays consistent: the message that failed and every message after it are
    kept in :attr:`vtrack.Session.undelivered` and are offered again before anything new.
    """

    def __init__(self, message: dict[str, Any], cause: BaseException) -> None:
        self.message = message
        self.cause = cause
        event = message.get("event")
        message_id = message.get("messageId")
        super().__init__(
            f"sink failed on {event!r} (messageId {message_id}): {type(cause).__name__}: {cause}"
        )


class QueueFull(VtrackError):
    """A sink's byte budget is used up and stayed so for its timeout; the message was not taken."""


_Error = TypeVar("_Error", bound=BaseException)


def caused_by(error: _Error, cause: BaseException | None) -> _Error:
    """``error``, to raise as ``raise error from cause`` would (``None``: from None).

    Compiled modules (setup.py) must raise so: compiled code ignores ``raise ... from``.
    """
    error.__cause__ = cause  # None also hides the error it was raised in, as `from None` does
    return error
