"""Live adapters: a real player's hooks in, a live session's messages out.

- :class:`PlayerAdapter` (:mod:`vtrack.adapters.generic`): plain ``on_play()``,
  ``on_pause()``, ... methods for any player;
- :func:`vtrack.adapters.mpv.attach_mpv`: an ``mpv.MPV`` (python-mpv);
- :func:`vtrack.adapters.vlc.attach_vlc`: a ``vlc.MediaPlayer`` (python-vlc).

vtrack does not need the player libraries: the mpv adapter uses only the player object it is
given, the VLC adapter imports ``vlc`` when it attaches (the ``players`` extra installs both).
"""

from vtrack.adapters.generic import PlayerAdapter

__all__ = ["PlayerAdapter"]
