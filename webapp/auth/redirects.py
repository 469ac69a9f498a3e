"""Where a login may send the user next: only ever a path on this site."""

from __future__ import annotations

from urllib.parse import urlsplit


def safe_next(target: str | None) -> str | None:
    """Return ``target`` if it is a path on this site, else None.

    Browsers read ``\\`` as ``/`` and drop tabs and newlines, so
    ``/\\evil.example`` and ``/\\t/evil.example`` lead off the site; anything
    with a backslash or a control character is refused outright.
    """
    if not target or len(target) > 2048:
        return None
    if "\\" in target or any(ord(char) < 0x20 or ord(char) == 0x7F for char in target):
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None

    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
