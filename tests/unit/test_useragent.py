"""User-Agent summaries on the sessions page: the browser and system people recognise, most specific first."""

from __future__ import annotations

import pytest

from roost.core.useragent import summarise


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox on Linux"),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
            "Safari/537.36 Edg/131.0.0.0",
            "Edge on Windows",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 "
            "Safari/605.1.15",
            "Safari on macOS",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile "
            "Safari/537.36",
            "Chrome on Android",
        ),
        ("curl/8.5.0", "curl"),
        ("python-httpx/0.27.0", "httpx"),
        ("", "Unknown device"),
        (None, "Unknown device"),
        ("SomethingElse/1.0", "Unknown device"),
    ],
)
def test_summaries(header: str | None, expected: str) -> None:
    assert summarise(header) == expected
