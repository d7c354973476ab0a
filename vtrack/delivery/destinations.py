"""Where batches go: Segment-compatible batch endpoints as presets, or any endpoint.

Every preset takes Segment's batch request (``POST .../v1/batch``, Basic auth with the write
key as the user name and a blank password). Customer.io Data Pipelines gets ``X-Strict-Mode: 1``
by default so malformed events come back as 400/401 instead of a permissive 200 (seed 002).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Final

import attrs

#: ``(name, region) -> batch URL``.
PRESET_URLS: Final = {
    ("segment", "us"): "https://api.segment.io/v1/batch",
    ("segment", "eu"): "https://events.eu1.segmentapis.com/v1/batch",
    ("customerio", "us"): "https://cdp.customer.io/v1/batch",
    ("customerio", "eu"): "https://cdp-eu.customer.io/v1/batch",
}
#: Where each preset looks for its write key when none is passed.
KEY_VARIABLES: Final = {
    "segment": "SEGMENT_WRITE_KEY",
    "customerio": "CUSTOMERIO_API_KEY",
    "rudderstack": "RUDDERSTACK_WRITE_KEY",
    "endpoint": "VTRACK_WRITE_KEY",
}
DESTINATIONS: Final = ("segment", "customerio", "rudderstack", "endpoint")


@attrs.frozen(repr=False)
class Destination:
    """A batch endpoint and how to authenticate to it. The key never appears in its repr."""

    name: str
    url: str
    _write_key: str = attrs.field(alias="write_key")
    strict: bool = False
    gzip: bool = True

    def headers(self) -> Mapping[str, str]:
        """The request headers (authorization included)."""
        token = base64.b64encode(f"{self._write_key}:".encode()).decode()
        headers = {"Authorization": f"Basic {token}", "Content-Type": "application/json"}
        if self.strict:
            headers["X-Strict-Mode"] = "1"
        if self.gzip:
            headers["Content-Encoding"] = "gzip"
        return headers

    def __repr__(self) -> str:
        return f"Destination({self.name!r}, {self.url!r}, strict={self.strict}, gzip={self.gzip})"


def destination(
    name: str,
    write_key: str,
    *,
    region: str = "us",
    url: str | None = None,
    strict: bool | None = None,
    gzip: bool = True,
) -> Destination:
    """The preset ``name`` (segment, customerio, rudderstack) or any ``endpoint`` ``url``.

    RudderStack needs ``url``: the data plane URL (``https://<your data plane>``; ``/v1/batch``
    is added when missing). ``strict`` defaults to on for customerio.
    """
    if name not in DESTINATIONS:
        raise ValueError(f"destination must be one of {', '.join(DESTINATIONS)}; got {name!r}")
    if not isinstance(write_key, str) or not write_key:
        raise ValueError(f"{name} needs a write key (pass write_key= or set {KEY_VARIABLES[name]})")
    if url is None:
        if name in ("rudderstack", "endpoint"):
            raise ValueError(f"{name} needs url= (the data plane or endpoint URL)")
        if (name, region) not in PRESET_URLS:
            raise ValueError(f"{name} has regions us and eu; got {region!r}")
        url = PRESET_URLS[name, region]
    elif not url.startswith(("https://", "http://")):
        raise ValueError(f"url must start with https:// (or http://); got {url!r}")
    elif name == "rudderstack" and not url.rstrip("/").endswith("/v1/batch"):
        url = url.rstrip("/") + "/v1/batch"
    return Destination(
        name,
        url,
        write_key=write_key,
        strict=name == "customerio" if strict is None else strict,
        gzip=gzip,
    )
