"""Built-in sinks: in memory, JSON Lines, a callable, and fan-out to several."""

from vtrack.sinks.basic import CallbackSink, FanoutSink, MemorySink
from vtrack.sinks.jsonl import JsonLinesSink

__all__ = ["CallbackSink", "FanoutSink", "JsonLinesSink", "MemorySink"]
