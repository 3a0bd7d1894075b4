"""The compiled assembler (media/_rtpcore.c) behind H264Assembler's interface, so that the same tests run on both."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from media.rtp_video import AssembledFrame, H264Assembler

try:
    from media import _rtpcore  # type: ignore[attr-defined]
except ImportError:  # `./dev setup` builds it; a missing build is a failure, not a skip (see test_rtpcore.py)
    _rtpcore = None


class CompiledAssembler:
    """`media._rtpcore.Assembler` returning `AssembledFrame`s, with H264Assembler's settings as attributes."""

    def __init__(self, *, max_wait: float = 0.25, max_packets: int = 2048, max_gap: int = 1000,
                 nack_retry: float = 0.05, nack_tries: int = 3, max_span: int = 4096) -> None:
        if _rtpcore is None:
            raise AssertionError("media._rtpcore is not built (run ./dev setup)")
        self.core = _rtpcore.Assembler(max_wait=max_wait, max_packets=max_packets, max_gap=max_gap,
                                       nack_retry=nack_retry, nack_tries=nack_tries, max_span=max_span)
        self.max_wait, self.max_packets, self.max_gap = max_wait, max_packets, max_gap
        self.nack_retry, self.nack_tries, self.max_span = nack_retry, nack_tries, max_span

    def packet(self, sequence: int, timestamp: int, marker: bool, payload: bytes, now: float) -> list[AssembledFrame]:
        return [AssembledFrame(data, pts, key) for data, pts, key in
                self.core.packet(sequence, timestamp, marker, payload, now)]

    def take_nacks(self) -> list[int]:
        return self.core.take_nacks()  # type: ignore[no-any-return]

    def reset(self) -> None:
        self.core.reset()

    @property
    def want_keyframe(self) -> bool:
        return bool(self.core.want_keyframe)

    @want_keyframe.setter
    def want_keyframe(self, value: bool) -> None:
        self.core.want_keyframe = value

    def __getattr__(self, name: str) -> Any:  # the counters and `waiting`
        return getattr(self.core, name)


MakeAssembler = Callable[..., Any]

#: run a test on the Python assembler and on the compiled one
COMPILED_AND_PYTHON = pytest.mark.parametrize("make_assembler", [H264Assembler, CompiledAssembler],
                                              ids=["python", "compiled"])
