"""Crash recovery from ``--record DIR``: the sessions a killed server left open, ended.

A server that stops (SIGTERM) or ends a session (idle timeout) marks the session's part ended
(see :mod:`vtrack.serve.recording`). One killed (``kill -9``, a crash) leaves the parts of its
open sessions unmarked, and their endings (Video Playback Exited, what the translator held)
unmade. At its next start on the same DIR, :func:`recover` replays each such part exactly as
``vtrack replay --dialect html5 PART`` replays it, hands every message of the replay to the
output, and marks the part ended. The messages the killed server had sent already come again,
with the same messageIds (the replay is deterministic): destinations drop them as repeats.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Final

import attrs

from vtrack.core.errors import VtrackError
from vtrack.core.settings import Settings
from vtrack.replay.engine import Where
from vtrack.replay.run import ReplayRun
from vtrack.serve.output import Output
from vtrack.serve.recording import Recorder, mark_ended

log = logging.getLogger("vtrack.serve")

#: Messages handed to the output at a time.
CHUNK: Final = 1000


@attrs.define
class Recovered:
    """What :func:`recover` did."""

    #: Parts replayed and marked ended.
    parts: int = 0
    #: Messages handed to the output.
    messages: int = 0
    #: Lines the replays skipped (a line cut short by the crash ...).
    bad_lines: int = 0
    #: Parts that could not be read or marked (left for the next start).
    failed: int = 0
    #: Other servers record to the folder: nothing was recovered.
    shared: bool = False


def recover(
    recorder: Recorder, settings: Settings, output: Output, *, min_stall: float | None = None
) -> Recovered:
    """Replay every part ``recorder``'s folder holds that no process ended, as ``vtrack replay
    --dialect html5`` replays it; hand its messages to ``output``, then mark it ended. A part
    that cannot be read or marked is logged and left (the next start tries it again). Only a
    server alone on the folder recovers (:meth:`Recorder.join`): another's parts under way
    are not a crash's."""
    done = Recovered()
    if not recorder.join():
        done.shared = True
        return done
    try:
        _recover_parts(recorder, settings, output, done, min_stall)
    finally:
        recorder.share()
    return done


def _recover_parts(
    recorder: Recorder, settings: Settings, output: Output, done: Recovered, min_stall: float | None
) -> None:
    for path in recorder.left_open():
        try:
            replay_part(path, settings, output, done, min_stall=min_stall)
            mark_ended(path)
        except (OSError, VtrackError) as exc:
            done.failed += 1
            log.error("cannot recover %s (%s): the next start tries it again", path, exc)
            continue
        done.parts += 1


def replay_part(
    path: Path,
    settings: Settings,
    output: Output,
    done: Recovered,
    *,
    min_stall: float | None = None,
) -> None:
    """Hand the messages of one part's replay to ``output`` (counted in ``done``)."""

    def bad_line(where: Where, reason: str) -> None:
        done.bad_lines += 1
        log.info("recovering %s, line %d: %s (skipped)", path, where[1], reason)

    run = ReplayRun([path], settings, dialect="html5", min_stall=min_stall, on_bad_line=bad_line)
    pending: list[dict[str, Any]] = []
    for message in run:
        done.messages += 1
        pending.append(message)
        if len(pending) >= CHUNK:
            output.put(pending)
            pending = []
    output.put(pending)
