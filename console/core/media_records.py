"""What the desk's media keeps per source and per session: pulls in flight and the sessions it is the sink of.

Records only, no behaviour: `DeskMedia` (media_desk.py) and its voice mixin (media_voice.py) both create pulls, so
the records live apart from either. Which pull a `video.session` answers is told by source: pulls in flight are kept
per source, first in first out (the platform announces sessions in the order it accepted the pulls).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Literal

from console.core.video_wall import Quality

__all__ = ["Pull", "SinkSession"]


@dataclass
class Pull:
    """A pull in flight: what the desk asked a source for."""

    kind: Literal["video", "voice"]
    quality: Quality = "thumb"
    tile: int | None = None
    session: str | None = None
    #: asked for before a switch of the platform's active instance (its session is of the old era)
    stale: bool = False


@dataclass
class SinkSession:
    """A media session this desk is the sink of."""

    session: str
    source: str
    kind: Literal["video", "voice"]
    quality: Quality
    tile: int | None = None
    offered: asyncio.Event = field(default_factory=asyncio.Event)
    opened: bool = False
    closed: bool = False
    #: "sfu": the platform's SFU offers and this desk answers (SPEC §5.14.9); hidden tiles are paused, not stopped
    plane: str = "direct"
    #: one answer at a time (a new offer, after the SFU came back, replaces the peer connection)
    answering: asyncio.Lock = field(default_factory=asyncio.Lock)
