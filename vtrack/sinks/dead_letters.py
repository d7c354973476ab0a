"""Where an HTTP sink keeps the batches a destination refused for good: never without bound.

With an outbox they are there (``vtrack outbox export``), and memory holds none of their
events. Without one, memory keeps them (``sink.dead_letters``) up to ``max_dead_letter_bytes``;
past that, each goes to ``dead_letter_file`` (appended: one message per line, as the
destination would have received it, like ``vtrack replay --undelivered``) or, with no file,
is counted and reported: a wrong write key with 200,000 events used to hold 154 MB of them.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING

from vtrack.delivery.dispatch import DeadLetter

if TYPE_CHECKING:
    from vtrack.sinks.delivery_options import SinkOptions

log = logging.getLogger("vtrack.http")


class DeadLetterKeeper:
    """The dead letters of one sink and where each one went; see the module's docstring."""

    def __init__(self, options: SinkOptions) -> None:
        self.limit = options.max_dead_letter_bytes
        self.file = None if options.dead_letter_file is None else Path(options.dead_letter_file)
        #: Kept in memory, oldest first, and their bytes.
        self.letters: deque[DeadLetter] = deque()
        self.kept_bytes = 0
        #: Events by where they went.
        self.in_outbox = 0
        self.in_file = 0
        self.dropped = 0
        self._warned = False

    @property
    def in_memory(self) -> int:
        """Dead events held in memory."""
        return sum(len(letter.events) for letter in self.letters)

    def keep(self, letter: DeadLetter, *, in_outbox: bool) -> None:
        """Put away one dead letter: the outbox has it, or memory, or the file, or a count."""
        if in_outbox:
            self.in_outbox += len(letter.events)
            return
        size = sum(len(event) for event in letter.events)
        if self.kept_bytes + size <= self.limit:
            self.letters.append(letter)
            self.kept_bytes += size
            return
        if self.file is not None and self._write(letter):
            self.in_file += len(letter.events)
            return
        self.dropped += len(letter.events)
        if not self._warned:
            self._warned = True
            log.error(
                "vtrack: dead letters passed max_dead_letter_bytes (%d) and have no "
                "dead_letter_file to go to: the refused events from now on are counted, not "
                "kept (give spool= or dead_letter_file= to keep them)",
                self.limit,
            )

    def where(self) -> str:
        """Where the dead events are, in words (empty when there are none)."""
        places = []
        if self.in_outbox:
            places.append(f"{self.in_outbox:,} in the outbox")
        if self.letters:
            places.append(f"{self.in_memory:,} in memory (sink.dead_letters)")
        if self.in_file:
            places.append(f"{self.in_file:,} in {self.file}")
        if self.dropped:
            places.append(f"{self.dropped:,} past max_dead_letter_bytes, not kept")
        return "; ".join(places)

    def _write(self, letter: DeadLetter) -> bool:
        """Append the letter's events to the file (a fresh temporary one if it fails)."""
        assert self.file is not None
        lines = [event.rstrip(b"\n") + b"\n" for event in letter.events]
        try:
            with self.file.open("ab") as out:
                out.writelines(lines)
            return True
        except OSError as exc:
            failed, reason = self.file, exc.strerror or str(exc)
        try:
            handle, name = tempfile.mkstemp(prefix="vtrack-dead-letters-", suffix=".jsonl")
            with os.fdopen(handle, "ab") as out:
                out.writelines(lines)
        except OSError:
            log.exception("vtrack: cannot write dead letters to %s nor to a temporary file", failed)
            return False
        self.file = Path(name)
        log.error(
            "vtrack: cannot write dead letters to %s (%s); they go to %s", failed, reason, name
        )
        return True
