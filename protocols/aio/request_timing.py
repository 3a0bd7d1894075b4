"""Server-side timing of requests, for benchmarks: when a request's frame was read and its answer written.

A round trip measured at a client includes the client's own scheduling, the kernel both ways and the server;
on a shared machine the client's part can dominate the tail. `TrunkingServer(request_times=...)` stamps,
with the monotonic clock (``time.monotonic()``: asyncio's loop clock, but at full resolution where uvloop's
``loop.time()`` counts whole milliseconds), each request's way through the server:

* ``read``: the event loop handed up the bytes that completed the request's frame (the connection's
  ``data_received``; every message completed by one read gets that read's stamp);
* ``taken``: the driver fed the message to the session;
* ``answered``: the answer was given to the session and queued for the socket;
* ``written``: the answer's frame, and everything queued before it on that connection, was handed to the
  socket (right after the ``transport.write`` that held it: in the same callback, unless the transport had
  paused writing).

Time the bytes spent in the kernel before the loop read them is not in these stamps (it is in the client's
round trip). Only servers given a `RequestTimes` pay for the stamps: the others take no timestamps.
"""

from __future__ import annotations

from typing import NamedTuple, Protocol

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


__all__ = ["RequestStamps", "RequestTimes"]
