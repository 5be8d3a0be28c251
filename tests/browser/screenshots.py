"""Just enough of a PNG decoder (stdlib zlib + numpy, both already here; no Pillow) to tell a
rendered page from a blank one: 8-bit RGB/RGBA, non-interlaced, as Chromium's screenshots are."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

import numpy as np

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {2: 3, 6: 4}  # colour type -> bytes per pixel at bit depth 8


def decode_png(png: bytes) -> np.ndarray:
    """The pixels as a (height, width, channels) uint8 array."""
    assert png[:8] == PNG_SIGNATURE, "not a PNG"
    pos, header, idat = 8, None, []
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind, data = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", data)
        elif kind == b"IDAT":
            idat.append(data)
        elif kind == b"IEND":
            break
    assert header, "PNG without IHDR"
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in CHANNELS and not interlace, f"unsupported PNG {header}"
    bpp = CHANNELS[colour]
    stride = width * bpp
    raw = np.frombuffer(zlib.decompress(b"".join(idat)), dtype=np.uint8)
    assert raw.size == height * (stride + 1), "truncated PNG data"
    rows = raw.reshape(height, stride + 1)
    out = np.zeros((height, stride), dtype=np.uint8)
    prev = np.zeros(stride, dtype=np.uint8)
    for y in range(height):
        kind, line = rows[y, 0], rows[y, 1:]
        if kind == 0:  # None
            cur = line.copy()
        elif kind == 1:  # Sub: running sum (mod 256) along the row, per channel
            cur = np.cumsum(line.reshape(width, bpp), axis=0, dtype=np.uint8).reshape(stride)
        elif kind == 2:  # Up
            cur = line + prev
        elif kind in (3, 4):  # Average, Paeth: each byte depends on the one to its left
            cur = _unfilter_sequential(kind, line.tolist(), prev.tolist(), bpp)
        else:
            raise AssertionError(f"bad PNG filter type {kind}")
        out[y] = cur
        prev = out[y]
    return out.reshape(height, width, bpp)


def _unfilter_sequential(kind: int, line: list[int], prev: list[int], bpp: int) -> np.ndarray:
    cur = [0] * len(line)
    for i, x in enumerate(line):
        a = cur[i - bpp] if i >= bpp else 0
        b = prev[i]
        if kind == 3:
            cur[i] = (x + ((a + b) >> 1)) & 0xFF
            continue
        c = prev[i - bpp] if i >= bpp else 0
        p = a + b - c
        pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
        pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
        cur[i] = (x + pred) & 0xFF
    return np.asarray(cur, dtype=np.uint8)


@dataclass(frozen=True)
class PixelStats:
    width: int
    height: int
    colours: int  # distinct RGB colours
    background_share: float  # share of pixels in the most common colour

    @property
    def blank(self) -> bool:
        return self.colours < 2 or self.background_share > 0.995


def pixel_stats(png: bytes) -> PixelStats:
    pixels = decode_png(png)[:, :, :3].astype(np.uint32)
    packed = (pixels[:, :, 0] << 16) | (pixels[:, :, 1] << 8) | pixels[:, :, 2]
    _, counts = np.unique(packed, return_counts=True)
    return PixelStats(
        width=pixels.shape[1],
        height=pixels.shape[0],
        colours=int(counts.size),
        background_share=float(counts.max() / packed.size),
    )
