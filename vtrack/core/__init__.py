"""The pure core: player callbacks and their times in, messages out.

Nothing here reads a clock, sleeps, starts a thread or does I/O; everything else in vtrack
(sinks, adapters, live timers, replay readers, the command line) is an edge that imports the
core, never the reverse. ``docs/architecture.md`` draws the layers.
"""
