"""The frame hand-off from media workers to the desk: one shared-memory slot per video tile, latest frame only.

A `FrameWall` is one `multiprocessing.shared_memory` block: a small wall header, then one slot per tile. Each
slot holds a 64-byte header and room for one picture of the wall's largest size (1280x720 by default), as I420
(``yuv420p``: the decoder's own planes, copied) or RGB (``rgb24``: converted in the worker). A worker overwrites
a slot with every decoded frame; the desk reads the newest one when it paints. Nothing queues, so a slow
painter sees fewer frames, never older ones.

Torn reads are prevented with a seqlock: the writer makes the slot's sequence number odd, writes, then makes it
even again; a reader copies the slot and keeps the copy only if the sequence number was even and unchanged.
This relies on stores becoming visible in program order, which holds on x86-64 (TSO); the 8-byte sequence
number is written with one aligned store. One writer per slot: the worker that owns the tile's session.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from multiprocessing import shared_memory
from typing import Literal

import av
import numpy as np
import numpy.typing as npt

try:
    from media import _rtpcore  # type: ignore[attr-defined]
except ImportError:  # not built: numpy writes the tiles
    _rtpcore = None

log = logging.getLogger(__name__)

__all__ = ["FrameWall", "PixelFormat", "TileFrame"]

PixelFormat = Literal["yuv420p", "rgb24"]
_FORMAT_CODES: dict[PixelFormat, int] = {"yuv420p": 1, "rgb24": 2}
_FORMATS: dict[int, PixelFormat] = {code: name for name, code in _FORMAT_CODES.items()}

_MAGIC = 0x7472756E6B777631  # "trunkwv1"
_WALL_HEADER = 64
_SLOT_HEADER = 64
#: u64 words of a slot header
_SEQ, _GENERATION, _FRAMES, _PTS = 0, 1, 4, 6
#: u32 words of a slot header
_WIDTH, _HEIGHT, _FORMAT = 4, 5, 6
#: f64 word of a slot header
_TIMESTAMP = 5
#: attempts at a consistent copy before a reader gives up until its next paint
_READ_ATTEMPTS = 8

U8 = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class TileFrame:
    """A copy of one tile's latest frame."""

    tile: int
    #: the slot's owner: raised each time the tile is given to another session (or emptied)
    generation: int
    #: the slot's sequence number when copied: pass it back as ``since`` to hear only of newer frames
    seq: int
    #: frames written to the tile in this generation, this one included
    frame_no: int
    width: int
    height: int
    format: PixelFormat
    #: `time.monotonic()` in the worker when the frame was written (the clock is system-wide on Linux)
    timestamp: float
    pts: int
    #: ``yuv420p``: (height * 3/2, width) - Y rows, then U and V packed two rows per array row;
    #: ``rgb24``: (height, width, 3)
    pixels: U8

    @property
    def age(self) -> float:
        """Seconds since the worker wrote this frame."""
        return time.monotonic() - self.timestamp

    def luma(self) -> U8:
        """The Y plane (or the RGB picture itself), enough to read a stamp or judge brightness."""
        return self.pixels[: self.height] if self.format == "yuv420p" else self.pixels

    def to_rgb(self, width: int | None = None, height: int | None = None) -> U8:
        """The picture as RGB (height x width x 3), scaled on the way when a size is given."""
        if self.format == "rgb24" and width in (None, self.width) and height in (None, self.height):
            return self.pixels
        frame = av.VideoFrame.from_ndarray(self.pixels, format=self.format)
        rgb: U8 = np.asarray(frame.to_ndarray(format="rgb24", width=width or self.width, height=height or self.height),
                             dtype=np.uint8)
        return rgb


def _frame_bytes(width: int, height: int, pixel_format: PixelFormat) -> int:
    return width * height * 3 if pixel_format == "rgb24" else width * height * 3 // 2


class FrameWall:
    """Shared-memory slots for ``tiles`` tiles; see the module docstring. Create in the desk, attach in workers."""

    def __init__(self, memory: shared_memory.SharedMemory, *, owner: bool) -> None:
        self._memory = memory
        self._owner = owner
        header = np.ndarray((8,), np.uint64, memory.buf, 0)
        if int(header[0]) != _MAGIC:
            raise ValueError(f"shared memory {memory.name} is not a frame wall")
        self.tiles = int(header[1])
        self.max_width = int(header[2])
        self.max_height = int(header[3])
        self.pixel_format: PixelFormat = _FORMATS[int(header[4])]
        self.slot_size = int(header[5])
        #: (tile, width, height) → the tile's planes as arrays over the shared memory (see `_targets`)
        self._plane_targets: dict[tuple[int, int, int], tuple[U8, ...]] = {}
        self._u64 = [np.ndarray((8,), np.uint64, memory.buf, self._offset(t)) for t in range(self.tiles)]
        self._i64 = [np.ndarray((8,), np.int64, memory.buf, self._offset(t)) for t in range(self.tiles)]
        self._u32 = [np.ndarray((16,), np.uint32, memory.buf, self._offset(t)) for t in range(self.tiles)]
        self._f64 = [np.ndarray((8,), np.float64, memory.buf, self._offset(t)) for t in range(self.tiles)]

    @classmethod
    def create(cls, tiles: int = 30, max_width: int = 1280, max_height: int = 720,
               pixel_format: PixelFormat = "yuv420p") -> FrameWall:
        """A new wall in fresh shared memory, owned (and unlinked on `close`) by the caller."""
        if tiles < 1 or max_width < 2 or max_height < 2 or max_width % 2 or max_height % 2:
            raise ValueError("a wall needs at least one tile and an even picture size")
        slot = _SLOT_HEADER + _frame_bytes(max_width, max_height, pixel_format)
        slot = (slot + 63) // 64 * 64
        memory = shared_memory.SharedMemory(create=True, size=_WALL_HEADER + tiles * slot)
        header = np.ndarray((8,), np.uint64, memory.buf, 0)
        header[1:6] = (tiles, max_width, max_height, _FORMAT_CODES[pixel_format], slot)
        header[0] = _MAGIC
        del header
        log.info("frame wall %s: %d tiles of %dx%d %s, %.1f MB", memory.name, tiles, max_width, max_height,
                 pixel_format, memory.size / 1e6)
        return cls(memory, owner=True)

    @classmethod
    def attach(cls, name: str) -> FrameWall:
        """The wall ``name`` created by another process (a worker attaching to the desk's wall)."""
        return cls(shared_memory.SharedMemory(name=name), owner=False)

    @property
    def name(self) -> str:
        return self._memory.name

    def _offset(self, tile: int) -> int:
        return _WALL_HEADER + tile * self.slot_size

    def _check_tile(self, tile: int) -> None:
        if not 0 <= tile < self.tiles:
            raise IndexError(f"tile {tile} is not on this wall (0..{self.tiles - 1})")

    # ----- writer side (a media worker) --------------------------------------------------------------------

    def fit(self, width: int, height: int) -> tuple[int, int]:
        """The size a ``width`` x ``height`` picture is stored at: itself, or scaled down to fit (even sizes)."""
        if width <= self.max_width and height <= self.max_height:
            return width - width % 2, height - height % 2
        scale = min(self.max_width / width, self.max_height / height)
        return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)

    def clear(self, tile: int, generation: int) -> None:
        """Empty a tile and give it to ``generation`` (a new session, or none)."""
        self._check_tile(tile)
        u64, u32 = self._u64[tile], self._u32[tile]
        seq = int(u64[_SEQ]) | 1
        u64[_SEQ] = seq  # odd: writing
        u64[_GENERATION] = generation
        u64[_FRAMES] = 0
        u32[_WIDTH] = u32[_HEIGHT] = u32[_FORMAT] = 0
        u64[_SEQ] = seq + 1

    def write(self, tile: int, frame: av.VideoFrame, *, timestamp: float | None = None) -> None:
        """Store a decoded frame as the tile's latest, converted (and scaled to fit) into the wall's format."""
        self._check_tile(tile)
        width, height = self.fit(frame.width, frame.height)
        if (width, height) != (frame.width, frame.height) or frame.format.name != self.pixel_format:
            frame = frame.reformat(width=width, height=height, format=self.pixel_format)
        if _rtpcore is not None and self.pixel_format == "yuv420p":
            # the decoder's own I420 planes copied in one call, under the same seqlock (media/_rtpcore.c): the
            # numpy path below costs the decode thread about 15 µs more per picture, 750 pictures a second
            y, u, v = frame.planes
            _rtpcore.write_yuv(self._memory.buf, self._offset(tile), self.slot_size, y, y.line_size, u, u.line_size,
                               v, v.line_size, width, height, frame.pts or 0,
                               time.monotonic() if timestamp is None else timestamp)
            return
        u64, u32 = self._u64[tile], self._u32[tile]
        seq = int(u64[_SEQ]) | 1
        u64[_SEQ] = seq  # odd: writing
        for plane, target in zip(frame.planes, self._targets(tile, width, height), strict=False):
            rows, row_bytes = target.shape
            line = plane.line_size
            # the plane's rows as the decoder laid them out (a 320-pixel row is padded to 384 bytes): one strided
            # view over its buffer, copied in one go
            if line == row_bytes:
                target.reshape(-1)[...] = np.ndarray((rows * row_bytes,), np.uint8, memoryview(plane))
            else:
                target[...] = np.ndarray((rows, row_bytes), np.uint8, memoryview(plane), 0, (line, 1))
        u32[_WIDTH], u32[_HEIGHT], u32[_FORMAT] = width, height, _FORMAT_CODES[self.pixel_format]
        u64[_FRAMES] += 1
        self._i64[tile][_PTS] = frame.pts or 0
        self._f64[tile][_TIMESTAMP] = time.monotonic() if timestamp is None else timestamp
        u64[_SEQ] = seq + 1

    def _targets(self, tile: int, width: int, height: int) -> tuple[U8, ...]:
        """The tile's planes in shared memory as arrays for a ``width`` x ``height`` picture (made once per size:
        building them for every frame cost more than copying a thumbnail)."""
        key = (tile, width, height)
        targets = self._plane_targets.get(key)
        if targets is None:
            offset = self._offset(tile) + _SLOT_HEADER
            shapes = [(height, width * 3)] if self.pixel_format == "rgb24" else [
                (height, width), (height // 2, width // 2), (height // 2, width // 2)]
            made = []
            for rows, row_bytes in shapes:
                made.append(np.ndarray((rows, row_bytes), np.uint8, self._memory.buf, offset))
                offset += rows * row_bytes
            targets = self._plane_targets[key] = tuple(made)
        return targets

    # ----- reader side (the desk) --------------------------------------------------------------------------

    def seq(self, tile: int) -> int:
        """The tile's sequence number now: a cheap check for news before copying a frame."""
        self._check_tile(tile)
        return int(self._u64[tile][_SEQ])

    def generation(self, tile: int) -> int:
        self._check_tile(tile)
        return int(self._u64[tile][_GENERATION])

    def has_picture(self, tile: int) -> bool:
        """Whether the tile holds a frame (False once its session closed: paint it empty)."""
        self._check_tile(tile)
        return int(self._u32[tile][_FORMAT]) != 0

    def read(self, tile: int, since: int = -1) -> TileFrame | None:
        """A consistent copy of the tile's latest frame; None if it is empty, not newer than ``since``, or kept
        busy by its writer through every attempt (try again at the next paint)."""
        self._check_tile(tile)
        u64, u32 = self._u64[tile], self._u32[tile]
        data = self._offset(tile) + _SLOT_HEADER
        for _ in range(_READ_ATTEMPTS):
            seq = int(u64[_SEQ])
            if seq & 1:
                continue
            if seq == since:
                return None
            width, height, code = int(u32[_WIDTH]), int(u32[_HEIGHT]), int(u32[_FORMAT])
            if code == 0:  # empty
                if int(u64[_SEQ]) == seq:
                    return None
                continue
            pixel_format = _FORMATS[code]
            shape = (height, width, 3) if pixel_format == "rgb24" else (height * 3 // 2, width)
            pixels = np.ndarray(shape, np.uint8, self._memory.buf, data).copy()
            frame = TileFrame(tile=tile, generation=int(u64[_GENERATION]), seq=seq, frame_no=int(u64[_FRAMES]),
                              width=width, height=height, format=pixel_format,
                              timestamp=float(self._f64[tile][_TIMESTAMP]), pts=int(self._i64[tile][_PTS]),
                              pixels=pixels)
            if int(u64[_SEQ]) == seq:
                return frame
        return None

    def close(self) -> None:
        """Detach (and, for the creator, free the memory)."""
        self._u64 = self._i64 = []
        self._u32 = self._f64 = []
        self._plane_targets.clear()
        self._memory.close()
        if self._owner:
            self._memory.unlink()
