"""The frame stamp: a source id and a frame number written into a clip's pixels, and read back after WebRTC.

Every frame of a generated clip (clips.py) carries, in its top-left corner, a row of black and white cells that
encode ``(source_id, frame_no)``, framed by start and end markers and guarded by a 4-bit check. Cells are 8x16
pixels at 320x180 and scale with the frame height (32x64 at 1280x720), so they survive H.264 at thumbnail
bitrates. Tests use the stamp to tell which terminal a tile shows and that its frames keep coming in order.
Beside it, a small 5x7 bitmap font draws the human-readable label and frame number (PyAV has no text filter).
"""

from __future__ import annotations

from typing import Any

import av
import numpy as np
import numpy.typing as npt

__all__ = [
    "FRAME_BITS",
    "SOURCE_BITS",
    "draw_text",
    "read_frame_stamp",
    "stamp_geometry",
    "text_width",
    "write_stamp",
]

#: bits of the source id and of the frame number carried by a stamp
SOURCE_BITS = 12
FRAME_BITS = 16
_CHECK_BITS = 4
_START = (1, 0)
_END = (0, 1)
_CELLS = len(_START) + SOURCE_BITS + FRAME_BITS + _CHECK_BITS + len(_END)
#: cell size at the reference height of 180 lines
_CELL_W, _CELL_H, _REFERENCE_HEIGHT = 8, 16, 180
#: luma of the stamp's cells (full swing keeps them apart after compression)
_WHITE, _BLACK = 235, 16

Luma = npt.NDArray[np.uint8]


def stamp_geometry(height: int) -> tuple[int, int, int]:
    """Cell width, cell height and the stamp's total width in pixels for frames ``height`` lines tall."""
    scale = max(1, round(height / _REFERENCE_HEIGHT))
    cell_w, cell_h = _CELL_W * scale, _CELL_H * scale
    return cell_w, cell_h, cell_w * _CELLS


def _check(source_id: int, frame_no: int) -> int:
    """A 4-bit check over both values: xor of their nibbles, offset so that an all-black row never passes."""
    value = (source_id << FRAME_BITS) | frame_no
    check = 0xA
    while value:
        check ^= value & 0xF
        value >>= 4
    return check


def _bits(source_id: int, frame_no: int) -> list[int]:
    fields = ((source_id, SOURCE_BITS), (frame_no, FRAME_BITS), (_check(source_id, frame_no), _CHECK_BITS))
    bits = list(_START)
    for value, width in fields:
        bits += [(value >> (width - 1 - i)) & 1 for i in range(width)]
    return [*bits, *_END]


def write_stamp(luma: Luma, source_id: int, frame_no: int) -> None:
    """Draw the stamp of ``(source_id, frame_no)`` into the top-left of a luma plane (in place)."""
    if not 0 <= source_id < 1 << SOURCE_BITS:
        raise ValueError(f"source id {source_id} does not fit in {SOURCE_BITS} bits")
    frame_no %= 1 << FRAME_BITS
    cell_w, cell_h, width = stamp_geometry(luma.shape[0])
    if width > luma.shape[1]:
        raise ValueError(f"a {luma.shape[1]}-pixel-wide frame cannot hold the {width}-pixel stamp")
    for i, bit in enumerate(_bits(source_id, frame_no)):
        luma[0:cell_h, i * cell_w:(i + 1) * cell_w] = _WHITE if bit else _BLACK


def _luma_of(frame: av.VideoFrame | npt.NDArray[Any]) -> npt.NDArray[Any]:
    if isinstance(frame, av.VideoFrame):
        if frame.format.name in ("yuv420p", "yuvj420p", "nv12", "gray"):
            plane = frame.planes[0]
            rows = np.frombuffer(memoryview(plane), np.uint8).reshape(frame.height, plane.line_size)
            luma: npt.NDArray[Any] = rows[:, :frame.width]
            return luma
        gray: npt.NDArray[Any] = frame.to_ndarray(format="gray")
        return gray
    if frame.ndim == 3:
        # RGB (or BGR): the channels' mean is close enough to luma for black and white cells
        mean: npt.NDArray[Any] = frame[..., :3].mean(axis=2)
        return mean
    return frame


def read_frame_stamp(frame: av.VideoFrame | npt.NDArray[Any]) -> tuple[int, int] | None:
    """``(source_id, frame_no)`` read from a frame's stamp, or None when there is no valid stamp.

    ``frame`` is a decoded `av.VideoFrame`, an RGB array (height x width x 3) or a luma plane (height x width).
    """
    luma = _luma_of(frame)
    height = luma.shape[0]
    cell_w, cell_h, width = stamp_geometry(height)
    if width > luma.shape[1]:
        return None
    # sample the middle half of each cell: edges blur under compression
    top, bottom = cell_h // 4, cell_h - cell_h // 4
    bits = []
    for i in range(_CELLS):
        left = i * cell_w + cell_w // 4
        right = (i + 1) * cell_w - cell_w // 4
        bits.append(1 if float(luma[top:bottom, left:right].mean()) > 128 else 0)
    if tuple(bits[:2]) != _START or tuple(bits[-2:]) != _END:
        return None
    payload = bits[2:-2]
    values = []
    offset = 0
    for width_bits in (SOURCE_BITS, FRAME_BITS, _CHECK_BITS):
        value = 0
        for bit in payload[offset:offset + width_bits]:
            value = (value << 1) | bit
        values.append(value)
        offset += width_bits
    source_id, frame_no, check = values
    if check != _check(source_id, frame_no):
        return None
    return source_id, frame_no


# ----- a 5x7 bitmap font for labels ---------------------------------------------------------------------------

_GLYPHS: dict[str, tuple[str, ...]] = {
    "0": ("01110", "10001", "10011", "10101", "11001", "10001", "01110"),
    "1": ("00100", "01100", "00100", "00100", "00100", "00100", "01110"),
    "2": ("01110", "10001", "00001", "00010", "00100", "01000", "11111"),
    "3": ("11110", "00001", "00001", "01110", "00001", "00001", "11110"),
    "4": ("00010", "00110", "01010", "10010", "11111", "00010", "00010"),
    "5": ("11111", "10000", "11110", "00001", "00001", "10001", "01110"),
    "6": ("00110", "01000", "10000", "11110", "10001", "10001", "01110"),
    "7": ("11111", "00001", "00010", "00100", "01000", "01000", "01000"),
    "8": ("01110", "10001", "10001", "01110", "10001", "10001", "01110"),
    "9": ("01110", "10001", "10001", "01111", "00001", "00010", "01100"),
    "A": ("01110", "10001", "10001", "11111", "10001", "10001", "10001"),
    "B": ("11110", "10001", "10001", "11110", "10001", "10001", "11110"),
    "C": ("01110", "10001", "10000", "10000", "10000", "10001", "01110"),
    "D": ("11100", "10010", "10001", "10001", "10001", "10010", "11100"),
    "E": ("11111", "10000", "10000", "11110", "10000", "10000", "11111"),
    "F": ("11111", "10000", "10000", "11110", "10000", "10000", "10000"),
    "G": ("01110", "10001", "10000", "10111", "10001", "10001", "01111"),
    "H": ("10001", "10001", "10001", "11111", "10001", "10001", "10001"),
    "I": ("01110", "00100", "00100", "00100", "00100", "00100", "01110"),
    "J": ("00111", "00010", "00010", "00010", "00010", "10010", "01100"),
    "K": ("10001", "10010", "10100", "11000", "10100", "10010", "10001"),
    "L": ("10000", "10000", "10000", "10000", "10000", "10000", "11111"),
    "M": ("10001", "11011", "10101", "10101", "10001", "10001", "10001"),
    "N": ("10001", "10001", "11001", "10101", "10011", "10001", "10001"),
    "O": ("01110", "10001", "10001", "10001", "10001", "10001", "01110"),
    "P": ("11110", "10001", "10001", "11110", "10000", "10000", "10000"),
    "Q": ("01110", "10001", "10001", "10001", "10101", "10010", "01101"),
    "R": ("11110", "10001", "10001", "11110", "10100", "10010", "10001"),
    "S": ("01111", "10000", "10000", "01110", "00001", "00001", "11110"),
    "T": ("11111", "00100", "00100", "00100", "00100", "00100", "00100"),
    "U": ("10001", "10001", "10001", "10001", "10001", "10001", "01110"),
    "V": ("10001", "10001", "10001", "10001", "10001", "01010", "00100"),
    "W": ("10001", "10001", "10001", "10101", "10101", "10101", "01010"),
    "X": ("10001", "10001", "01010", "00100", "01010", "10001", "10001"),
    "Y": ("10001", "10001", "10001", "01010", "00100", "00100", "00100"),
    "Z": ("11111", "00001", "00010", "00100", "01000", "10000", "11111"),
    "-": ("00000", "00000", "00000", "11111", "00000", "00000", "00000"),
    "_": ("00000", "00000", "00000", "00000", "00000", "00000", "11111"),
    ".": ("00000", "00000", "00000", "00000", "00000", "01100", "01100"),
    ":": ("00000", "01100", "01100", "00000", "01100", "01100", "00000"),
    "/": ("00001", "00010", "00010", "00100", "01000", "01000", "10000"),
    "#": ("01010", "01010", "11111", "01010", "11111", "01010", "01010"),
    " ": ("00000",) * 7,
}
_UNKNOWN = ("11111", "10001", "10001", "10001", "10001", "10001", "11111")
_BITMAPS = {ch: np.array([[c == "1" for c in row] for row in rows], dtype=bool) for ch, rows in _GLYPHS.items()}
_UNKNOWN_BITMAP = np.array([[c == "1" for c in row] for row in _UNKNOWN], dtype=bool)


def text_width(text: str, scale: int) -> int:
    """Width in pixels of ``text`` drawn at ``scale`` (each glyph 5x7 dots plus one dot of spacing)."""
    return len(text) * 6 * scale


def draw_text(luma: Luma, text: str, x: int, y: int, scale: int, *, value: int = 235) -> None:
    """Draw ``text`` (digits, capitals and a few signs; others as a box) into a luma plane, clipped to it."""
    height, width = luma.shape
    for index, char in enumerate(text.upper()):
        bitmap = _BITMAPS.get(char, _UNKNOWN_BITMAP)
        glyph = np.repeat(np.repeat(bitmap, scale, axis=0), scale, axis=1)
        gx = x + index * 6 * scale
        gy = y
        if gx >= width or gy >= height:
            break
        gh = min(glyph.shape[0], height - gy)
        gw = min(glyph.shape[1], width - gx)
        region = luma[gy:gy + gh, gx:gx + gw]
        region[glyph[:gh, :gw]] = value
