"""Players simulated for the serve tests: viewings' html5 logs cut into batches as vtrack.js sends
them, with skewed client clocks, interleaved in the order they reach the server."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import attrs
import httpx
import orjson

from vtrack.replay import replay
from vtrack.testing.dialect_logs import html5_records
from vtrack.testing.viewing import Viewing

Message = dict[str, Any]


@attrs.frozen
class Batch:
    """One request: its records (the client's clock), when it was sent and when it arrived."""

    records: list[dict[str, Any]]
    sent_at: float
    received_at: float
    batch_id: str

    @property
    def body(self) -> bytes:
        return b"".join(orjson.dumps(r, option=orjson.OPT_APPEND_NEWLINE) for r in self.records)


def batches_of(
    viewing: Viewing,
    *,
    records: list[dict[str, Any]] | None = None,
    size: int = 20,
    window: float = 2.0,
    skew: float = 0.0,
    latency: float = 0.01,
) -> list[Batch]:
    """The viewing's records (or ``records``) as a page sends them: a batch every ``window``
    s or ``size`` records; the client's clock ``skew`` s ahead of the server's; ``latency`` s
    in transit."""
    out: list[Batch] = []
    pending: list[dict[str, Any]] = []
    first = last = viewing.start_at

    def send(at: float) -> None:
        records = [_skewed(r, skew) for r in pending]
        out.append(Batch(records, at + skew, at + latency, f"{viewing.session_id}-{len(out)}"))
        pending.clear()

    for record in html5_records(viewing) if records is None else records:
        t = record.get("t")
        last = t if type(t) in (int, float) and t >= last else last  # a damaged t: as before
        if pending and last - first >= window:
            send(last)
        if not pending:
            first = last
        pending.append(record)
        if len(pending) >= size:
            send(last)
    if pending:
        send(last)
    return out


def _skewed(record: dict[str, Any], skew: float) -> dict[str, Any]:
    t = record.get("t")
    return {**record, "t": round(t + skew, 4)} if type(t) in (int, float) else dict(record)


def interleaved(all_batches: list[list[Batch]]) -> list[Batch]:
    """Every player's batches in the order they reach the server."""
    return sorted((b for batches in all_batches for b in batches), key=lambda b: b.received_at)


def by_session(messages: list[Message]) -> dict[str, list[bytes]]:
    """Each session's messages, in order, as the bytes ``--out`` writes."""
    out: dict[str, list[bytes]] = defaultdict(list)
    for message in messages:
        out[message["properties"]["session_id"]].append(orjson.dumps(message))
    return dict(out)


def replayed(path: Path, **options: Any) -> list[Message]:
    """What ``vtrack replay --dialect html5 PATH`` makes."""
    return list(replay([path], dialect="html5", **options))


def post_batches(url: str, batches: list[Batch], origin: str) -> int:
    """POST each batch to a running server's /v1/events from ``origin``, under its batch id;
    how many were answered 204."""
    ok = 0
    with httpx.Client(timeout=10) as client:
        for batch in batches:
            answer = client.post(
                f"{url}/v1/events",
                content=batch.body,
                headers={"Origin": origin, "Content-Type": "text/plain"},
                params={"batch": batch.batch_id},
            )
            ok += answer.status_code == 204
    return ok


def media(
    t: float, kind: str, position: float, session: str = "s1", **more: object
) -> dict[str, Any]:
    """An html5 media event of ``session`` at ``t`` (a 60 s video), with ``more`` fields."""
    return {
        "t": t,
        "type": kind,
        "currentTime": position,
        "duration": 60,
        "paused": kind == "pause",
        "ended": False,
        "playbackRate": 1,
        "session": session,
        **more,
    }
