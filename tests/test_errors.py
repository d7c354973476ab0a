"""One exception tree: a caller catches every error vtrack raises on purpose as VtrackError."""

from __future__ import annotations

import pytest

from vtrack import InvalidCallback, MissingTime, QueueFull, SinkError, VtrackError
from vtrack.cli.delivery import SetupError
from vtrack.delivery.encoding import EncodingError, MessageTooLarge
from vtrack.players.base import UnreadableEvent
from vtrack.replay.engine import ReplayError
from vtrack.replay.log_format import BadRecord
from vtrack.replay.sources import SourceError

ERRORS = [
    InvalidCallback,
    MissingTime,
    SinkError,
    QueueFull,
    ReplayError,
    SourceError,
    BadRecord,
    UnreadableEvent,
    SetupError,
    EncodingError,
    MessageTooLarge,
]


class TestExceptionTree:
    @pytest.mark.parametrize("error", ERRORS, ids=lambda error: error.__name__)
    def test_every_error_is_a_vtrack_error(self, error: type[Exception]) -> None:
        """Each error class derives from VtrackError."""
        assert issubclass(error, VtrackError)

    @pytest.mark.parametrize("error", [BadRecord, UnreadableEvent, EncodingError])
    def test_bad_values_are_still_value_errors(self, error: type[Exception]) -> None:
        """Errors about a bad value stay ValueErrors, as callers caught them before."""
        assert issubclass(error, ValueError)

    def test_a_replay_error_names_its_file_and_line(self) -> None:
        """A ReplayError is caught as a VtrackError and says FILE:LINE: reason."""
        with pytest.raises(VtrackError) as caught:
            raise ReplayError(("player.log", 7), "time went backwards")
        assert "player.log:7: time went backwards" == str(caught.value)
