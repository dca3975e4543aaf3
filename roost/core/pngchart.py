"""A small line chart as a PNG, drawn and encoded with the standard library only (zlib, struct): no image library
is in Roost's lock files, and the dashboard's own PNG export is drawn in the browser. Pure; used for scheduled
reports' chart attachment.

`line_chart` draws each series as the % change from its first value (accounts of very different sizes on one
axis, as compare's % mode does), with a title, the y range, the first and last dates, gridlines and a legend in
a 3x5 pixel font scaled up.
"""

from __future__ import annotations

import math
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

RGB = tuple[int, int, int]
PALETTE: tuple[RGB, ...] = ((31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
                            (140, 86, 75), (227, 119, 194), (127, 127, 127))  # fmt: skip
WHITE: RGB = (255, 255, 255)
INK: RGB = (40, 40, 40)
GRID: RGB = (225, 225, 225)

_GLYPHS = {
    "0": "111101101101111", "1": "010110010010111", "2": "111001111100111", "3": "111001111001111",
    "4": "101101111001001", "5": "111100111001111", "6": "111100111101111", "7": "111001001001001",
    "8": "111101111101111", "9": "111101111001111", "A": "010101111101101", "B": "110101110101110",
    "C": "011100100100011", "D": "110101101101110", "E": "111100110100111", "F": "111100110100100",
    "G": "011100101101011", "H": "101101111101101", "I": "111010010010111", "J": "001001001101010",
    "K": "101101110101101", "L": "100100100100111", "M": "101111111101101", "N": "110101101101101",
    "O": "010101101101010", "P": "110101110100100", "Q": "010101101110011", "R": "110101110101101",
    "S": "011100010001110", "T": "111010010010010", "U": "101101101101111", "V": "101101101101010",
    "W": "101101111111101", "X": "101101010101101", "Y": "101101010010010", "Z": "111001010100111",
    " ": "000000000000000", "-": "000000111000000", "+": "000010111010000", ".": "000000000000010",
    ",": "000000000010100", ":": "000010000010000", "%": "101001010100101", "/": "001001010100100",
    "@": "010101111100011", "_": "000000000000111", "(": "010100100100010", ")": "010001001001010",
    "#": "101111101111101", "?": "111001010000010",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Line:
    label: str
    points: Sequence[tuple[int, float]]  # (unix seconds, value), oldest first


class Canvas:
    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.pixels = bytearray(WHITE * (width * height))

    def dot(self, x: int, y: int, color: RGB) -> None:
        if 0 <= x < self.width and 0 <= y < self.height:
            i = 3 * (y * self.width + x)
            self.pixels[i : i + 3] = bytes(color)

    def rect(self, x0: int, y0: int, x1: int, y1: int, color: RGB) -> None:
        for y in range(max(0, y0), min(self.height, y1)):
            for x in range(max(0, x0), min(self.width, x1)):
                self.dot(x, y, color)

    def line(self, x0: int, y0: int, x1: int, y1: int, color: RGB, width: int = 1) -> None:
        dx, dy = abs(x1 - x0), -abs(y1 - y0)
        sx, sy = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
        err = dx + dy
        while True:
            for ox in range(width):
                for oy in range(width):
                    self.dot(x0 + ox - width // 2, y0 + oy - width // 2, color)
            if x0 == x1 and y0 == y1:
                return
            e2 = 2 * err
            if e2 >= dy:
                err += dy
                x0 += sx
            if e2 <= dx:
                err += dx
                y0 += sy

    def text(self, x: int, y: int, text: str, color: RGB = INK, scale: int = 2) -> int:
        """Write `text` with its top-left at (x, y); the x after it."""
        for ch in text:
            glyph = _GLYPHS.get(ch.upper(), _GLYPHS["?"])
            for k, bit in enumerate(glyph):
                if bit == "1":
                    self.rect(x + (k % 3) * scale, y + (k // 3) * scale, x + (k % 3 + 1) * scale,
                              y + (k // 3 + 1) * scale, color)  # fmt: skip
            x += 4 * scale
        return x

    def png(self) -> bytes:
        raw = b"".join(
            b"\x00" + bytes(self.pixels[3 * y * self.width : 3 * (y + 1) * self.width]) for y in range(self.height)
        )

        def chunk(tag: bytes, data: bytes) -> bytes:
            return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)
        body = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
        return b"\x89PNG\r\n\x1a\n" + body


def nice_ticks(lo: float, hi: float, most: int = 6) -> list[float]:
    """Round gridline values (steps of 1, 2, 2.5 or 5 times a power of ten) covering [lo, hi], 0 among them."""
    span = max(hi - lo, 1e-9)
    raw = span / max(1, most - 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.floor(lo / step) * step
    return [first + k * step for k in range(math.ceil((hi - first) / step - 1e-9) + 1)]


def _label(value: float, step: float) -> str:
    decimals = next((d for d in range(4) if abs(round(step * 10**d) - step * 10**d) < 1e-6), 4)
    return f"{value:+.{decimals}f}%" if abs(value) > step / 1000 else "0%"


def line_chart(
    title: str, lines: Sequence[Line], *, start_label: str, end_label: str, span: tuple[int, int] | None = None,
    width: int = 800, height: int = 420,
) -> bytes:  # fmt: skip
    """The lines as % change from each one's first value, as a PNG."""
    canvas = Canvas(width, height)
    canvas.text(16, 12, title[:90], INK, 2)
    left, top, right, bottom = 70, 44, width - 16, height - 40 - 18 * ((len(lines) + 2) // 3)
    relative: list[tuple[Line, list[tuple[int, float]]]] = []
    for ln in lines:
        pts = [(t, v) for t, v in ln.points]
        base = pts[0][1] if pts else 0
        relative.append((ln, [(t, 100.0 * (v - base) / base if base else 0.0) for t, v in pts]))
    times = [t for _, pts in relative for t, _ in pts] or [0, 1]
    ys = [y for _, pts in relative for _, y in pts] or [0.0]
    t0, t1 = span if span is not None else (min(times), max(times))
    t1 = max(t1, t0 + 1)
    lo, hi = min(min(ys), 0.0), max(max(ys), 0.0)
    if hi - lo < 0.1:
        lo, hi = lo - 0.05, hi + 0.05
    ticks = nice_ticks(lo, hi)
    lo, hi = ticks[0], ticks[-1]

    def xy(t: int, y: float) -> tuple[int, int]:
        px = left + round((min(max(t, t0), t1) - t0) * (right - left) / (t1 - t0))  # inside the plot
        return px, bottom - round((y - lo) * (bottom - top) / (hi - lo))

    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    for y in ticks:
        _, py = xy(t0, y)
        canvas.line(left, py, right, py, GRID)
        canvas.text(6, py - 5, _label(y, step)[:8], INK, 2)
    _, zero = xy(t0, 0.0)
    canvas.line(left, zero, right, zero, (170, 170, 170))
    canvas.line(left, top, left, bottom, INK)
    canvas.line(left, bottom, right, bottom, INK)
    canvas.text(left, bottom + 8, start_label, INK, 2)
    canvas.text(right - 8 * len(end_label), bottom + 8, end_label, INK, 2)
    for i, (ln, pts) in enumerate(relative):
        color = PALETTE[i % len(PALETTE)]
        prev = None
        for t, y in pts:
            p = xy(t, y)
            if prev is not None:
                canvas.line(prev[0], prev[1], p[0], p[1], color, 2)
            prev = p
        lx, ly = 16 + (i % 3) * ((width - 32) // 3), bottom + 32 + 18 * (i // 3)
        canvas.rect(lx, ly, lx + 14, ly + 10, color)
        canvas.text(lx + 20, ly, ln.label[:28], INK, 2)
    return canvas.png()


__all__ = ["Line", "line_chart"]
