"""What real players report, translated into the core's callbacks.

One module per player knows its event vocabulary and its traps (an end-of-media pause that is
not a user pause, a seek's buffering burst that is not a stall, ...). The replay's log
dialects and the live adapters both use these translators, so that knowledge lives in one
place. Translators are pure: they take the player's events with their times and return
callbacks; they read no clock and do no I/O.
"""

from vtrack.players.base import Emitted, Translator, UnreadableEvent
from vtrack.players.html5 import Html5Translator
from vtrack.players.mpv import MpvTranslator
from vtrack.players.vlc import VlcTranslator

#: The translator of each log dialect, by the name ``vtrack replay --dialect`` takes.
TRANSLATORS: dict[str, type[Translator]] = {
    "html5": Html5Translator,
    "mpv": MpvTranslator,
    "vlc": VlcTranslator,
}

__all__ = [
    "TRANSLATORS",
    "Emitted",
    "Html5Translator",
    "MpvTranslator",
    "Translator",
    "UnreadableEvent",
    "VlcTranslator",
]
