"""Property-based testing of video analytics: strategies, invariants, a reference model.

Install with ``pip install 'vtrack[testing]'`` (Hypothesis and jsonschema). See
``docs/property-testing.md`` for the tutorial.
"""

from vtrack.testing.invariants import (
    InvariantChecker,
    InvariantViolation,
    Violation,
    check_heartbeat_timing,
    check_invariants,
    find_violations,
)
from vtrack.testing.timeline import Row, timeline

__all__ = [
    "InvariantChecker",
    "InvariantViolation",
    "Row",
    "Violation",
    "check_heartbeat_timing",
    "check_invariants",
    "find_violations",
    "timeline",
]
