"""The session options every ``vtrack`` command that plays sessions takes, in one place."""

from __future__ import annotations

import argparse
import sys

from vtrack.core.schedule import MILESTONE_BASES, validate_heartbeat, validate_milestones
from vtrack.core.settings import Settings
from vtrack.core.summary_event import validate_summary_event
from vtrack.profiles import PROFILES


def _heartbeat(text: str) -> int:
    try:
        return validate_heartbeat(int(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _milestones(text: str) -> tuple[float, ...]:
    try:
        return validate_milestones(float(p) if "." in p else int(p) for p in text.split(","))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_session_options(parser: argparse.ArgumentParser) -> None:
    """``--profile``, ``--heartbeat``, ``--milestones``, ``--milestone-basis`` and
    ``--summary-event``."""
    parser.add_argument(
        "--profile",
        choices=sorted(PROFILES),
        default="segment",
        help="event names and properties: the Segment Video Spec (default) or Vimeo OTT's",
    )
    parser.add_argument(
        "--heartbeat",
        type=_heartbeat,
        default=10,
        metavar="N",
        help="seconds of playing time between heartbeats: 0-600 in steps of 10; 0 = off "
        "(default 10)",
    )
    parser.add_argument(
        "--milestones",
        type=_milestones,
        default=(25, 50, 75, 90),
        metavar="P,P,...",
        help="progress milestones in percent (default 25,50,75,90)",
    )
    parser.add_argument(
        "--milestone-basis",
        choices=MILESTONE_BASES,
        default="position",
        help="what reaching a milestone means: the content position while playing (default), "
        "continuous playback across it, or unique seconds watched",
    )
    parser.add_argument(
        "--summary-event",
        type=_summary_event,
        default=None,
        metavar="NAME",
        help="also send, per content item, one track event NAME when it ends or the viewer "
        "leaves, with its play time, unique seconds, completion and milestones (e.g. "
        "'Video Content Watched', for Spideo); default: none",
    )


def _summary_event(text: str) -> str:
    try:
        name = validate_summary_event(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    assert name is not None
    return name


def settings_from(args: argparse.Namespace) -> Settings:
    """The :class:`~vtrack.Settings` the options of :func:`add_session_options` ask for.

    Options that are valid alone but not together (a summary event named like one of the
    profile's own events) exit with status 2 and one line, as argparse does.
    """
    try:
        return Settings(
            profile=args.profile,
            heartbeat=args.heartbeat,
            milestones=args.milestones,
            milestone_basis=args.milestone_basis,
            summary_event=args.summary_event,
        )
    except ValueError as exc:
        print(f"vtrack: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
