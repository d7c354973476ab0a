"""Write the generated logs of the golden replay outputs (``tests/golden/inputs/``).

Run once, by hand, when the set of golden inputs should grow: ``python
tests/golden/make_inputs.py``. The logs are committed, so what they hold never depends on the
Hypothesis version; ``tests/test_golden_outputs.py`` replays them. Each log is many sessions
one after the other, drawn (derandomized) from vtrack.testing's strategies: realistic
viewings with ads, playlists, rate changes and every ending; the same damaged (hostile); and
raw html5, mpv and VLC logs, clean and damaged.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vtrack.replay.log_format import callback_record
from vtrack.testing import callback_sequences, hostile_callback_sequences
from vtrack.testing.dialect_logs import dialect_logs

INPUTS = Path(__file__).parent / "inputs"
EXAMPLES = 150


def draw_many(strategy: st.SearchStrategy[Any], count: int) -> list[Any]:
    """``count`` examples of ``strategy``, the same ones on every run of one Hypothesis."""
    drawn: list[Any] = []

    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(example: Any) -> None:
        drawn.append(example)

    collect()
    return drawn[:count]


def callback_log(sequences: list[Any], prefix: str) -> list[str]:
    """The vtrack-format lines of callback sequences, one session each."""
    lines = []
    for number, callbacks in enumerate(sequences):
        for index, callback in enumerate(callbacks):
            viewer = {"anonymous_id": f"{prefix}-viewer-{number % 7}"} if index == 0 else {}
            record = callback_record(callback, session=f"{prefix}-{number}", **viewer)
            lines.append(json.dumps(record))
    return lines


def dialect_log(logs: list[Any], prefix: str) -> list[str]:
    """The raw lines of dialect logs, one session each (renamed apart)."""
    lines = []
    for number, records in enumerate(logs):
        for record in records:
            if isinstance(record, dict) and "session" in record:
                record = {**record, "session": f"{prefix}-{number}"}
            lines.append(json.dumps(record))
    return lines


def write(name: str, lines: list[str]) -> None:
    path = INPUTS / name
    # mtime=0: the same lines always give the same file.
    with gzip.GzipFile(path, "wb", mtime=0) as out:
        out.write("".join(line + "\n" for line in lines).encode())
    print(f"{path}: {len(lines)} lines")


GENERATED: dict[str, Callable[[], list[str]]] = {
    "viewings.jsonl.gz": lambda: callback_log(
        draw_many(callback_sequences(max_actions=16), EXAMPLES), "v"
    ),
    "hostile.jsonl.gz": lambda: callback_log(
        draw_many(hostile_callback_sequences(hostility=8), EXAMPLES), "h"
    ),
    **{
        f"{dialect}.jsonl.gz": (
            lambda dialect=dialect: dialect_log(
                draw_many(dialect_logs(dialect, max_actions=12), EXAMPLES // 3), dialect
            )
        )
        for dialect in ("html5", "mpv", "vlc")
    },
    **{
        f"{dialect}-hostile.jsonl.gz": (
            lambda dialect=dialect: dialect_log(
                draw_many(dialect_logs(dialect, hostile=True), EXAMPLES // 3), dialect + "-h"
            )
        )
        for dialect in ("html5", "mpv", "vlc")
    },
}


def main() -> None:
    INPUTS.mkdir(exist_ok=True)
    for name, make in GENERATED.items():
        write(name, make())


if __name__ == "__main__":
    main()
