"""Live adapters: a real player's hooks in, a live session's messages out.

- :class:`PlayerAdapter` (:mod:`vtrack.adapters.generic`): plain ``on_play()``,
  ``on_pause()``, ... methods for any player;
- :func:`vtrack.adapters.mpv.attach_mpv`: an ``mpv.MPV`` (python-mpv);
- :func:`vtrack.adapters.vlc.attach_vlc`: a ``vlc.MediaPlayer`` (python-vlc).

The mpv and VLC adapters import nothing from their player libraries: they use the player
object they are given, so vtrack does not need them installed (the ``players`` extra has them).
"""

from vtrack.adapters.generic import PlayerAdapter

__all__ = ["PlayerAdapter"]
