"""Server-side timing of requests, for benchmarks: when a request's frame was read and its answer written.

A round trip measured at a client includes the client's own scheduling, the kernel both ways and the server;
on a shared machine the client's part can dominate the tail. `TrunkingServer(request_times=...)` stamps,
with the monotonic clock (``time.monotonic()``: asyncio's loop clock, but at full resolution where uvloop's
``loop.time()`` counts whole milliseconds), each request's way through the server:

* ``read``: websockets handed up the bytes that completed the request's frame (the protocol's
  ``data_received``, called when the event loop read the socket);
* ``taken``: the driver took the message from websockets (``recv()`` returned) and fed it to the session;
* ``answered``: the answer was queued for the connection's writer;
* ``written``: the answer's frame, and everything queued before it on that connection, was handed to the
  socket (websockets' ``send`` returned, after ``transport.write``).

Time the bytes spent in the kernel before the loop read them is not in these stamps (it is in the client's
round trip). Only servers given a `RequestTimes` pay for the stamps: the others use websockets' own
connection class and take no timestamps.
"""

from __future__ import annotations

import collections
import time
from typing import Any, NamedTuple, Protocol

from websockets.asyncio.server import ServerConnection
from websockets.frames import DATA_OPCODES, Frame
from websockets.protocol import Event

from protocols.messages import Error, Ok, Request


class RequestStamps(NamedTuple):
    """``time.monotonic()`` of one request's way through the server, in seconds (see the module docstring).

    A named tuple: made for every request of a timing server, it must be cheap (a frozen dataclass costs
    several times more to build)."""

    read: float
    taken: float
    answered: float
    written: float


class RequestTimes(Protocol):
    """Where a timing server reports every request whose answer it wrote."""

    def answered(self, request: Request, answer: Ok | Error, stamps: RequestStamps) -> None: ...


class StampingConnection(ServerConnection):
    """websockets' server connection, noting when the bytes completing each received message were read.

    One stamp per complete data message, in order, so that `pop_read_stamp` after each ``recv()`` returns the
    stamp of the message ``recv()`` returned (messages are delivered in the order they complete)."""

    # websockets builds its connections through a factory with its own arguments: keep them as they are.
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._read_at = 0.0
        self._read_stamps: collections.deque[float] = collections.deque()

    def data_received(self, data: bytes) -> None:
        self._read_at = time.monotonic()
        super().data_received(data)

    def process_event(self, event: Event) -> None:
        super().process_event(event)
        if isinstance(event, Frame) and event.fin and event.opcode in DATA_OPCODES:
            self._read_stamps.append(self._read_at)

    def pop_read_stamp(self, default: float) -> float:
        """The read stamp of the message ``recv()`` returned last (``default`` when there is none)."""
        return self._read_stamps.popleft() if self._read_stamps else default


__all__ = ["RequestStamps", "RequestTimes", "StampingConnection"]
