"""A User-Agent header summarised for people ("Firefox on Linux"): enough to recognise one's own devices on the
sessions page, no more. A few families by substring, most specific first (Edge and Opera also say "Chrome",
Chrome also says "Safari"); a full parser library would name versions and models nobody needs here."""

from __future__ import annotations

_BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Safari/", "Safari"),
    ("curl/", "curl"),
    ("python-httpx/", "httpx"),
    ("python-requests/", "requests"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Macintosh", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def summarise(user_agent: str | None) -> str:
    """'Browser on System', the one that is known, or 'Unknown device'."""
    ua = (user_agent or "").strip()
    browser = next((name for mark, name in _BROWSERS if mark in ua), None)
    system = next((name for mark, name in _SYSTEMS if mark in ua), None)
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "Unknown device"
