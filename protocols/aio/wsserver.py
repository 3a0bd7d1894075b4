"""The server side of a WebSocket as a plain `asyncio.Protocol` over websockets' sans-I/O `ServerProtocol`.

websockets' asyncio layer costs, per frame received, a future, its message assembler and a task wake-up, and
per frame sent a writer task woken to await ``send()`` (locks, drain). Here everything happens in the event
loop's callbacks, synchronously: ``data_received`` feeds the bytes to the sans-I/O protocol, hands up each
complete message (`WebSocketServerProtocol.message_received`, fragments assembled here), and whatever the
subclass sent meanwhile goes out in one ``transport.write`` (`WebSocketServerProtocol.flush`).

* Handshake: the HTTP request is answered by ``ServerProtocol.accept`` (subprotocol chosen by the
  ``select_subprotocol`` given); a refused or unparsable request gets its HTTP error and the connection
  closes. A connection that completes no handshake within `OPEN_TIMEOUT` is dropped.
* Limits: ``max_size`` bounds a message (fragments included); beyond it the connection closes with 1009.
  Text that is not UTF-8 closes it with 1007.
* Backpressure: while the transport asks to pause writing, data frames wait in `_outgoing` (in order) and go
  out on resume; a peer whose pending output exceeds `MAX_PENDING_OUTPUT` is aborted (it stopped reading).
* Closing: `close_websocket` sends the close frame after every frame queued before it; the connection is
  dropped if the close handshake (or the final flush) takes more than `CLOSE_TIMEOUT`. Pings are answered with
  pongs by the sans-I/O protocol.
* Frames are never logged with their contents (they carry credentials): websockets' own debug log goes
  through `frame_safe_logger`, and this module logs none.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, cast

from websockets.frames import Frame, Opcode
from websockets.http11 import Request
from websockets.protocol import SEND_EOF, State
from websockets.server import ServerProtocol
from websockets.typing import BytesLike, Subprotocol

from protocols.aio.wirelog import frame_safe_logger

logger = logging.getLogger(__name__)

#: Seconds a connection may take to complete its opening handshake (websockets' own default).
OPEN_TIMEOUT = 10.0
#: Seconds the closing handshake, or writing what is left before closing, may take before the socket is dropped.
CLOSE_TIMEOUT = 2.0
#: Bytes of output a connection may have waiting (queued while the transport is paused, plus the transport's
#: own buffer) before it is aborted: a peer that stopped reading must not hold the server's memory. About 250
#: maximum-size messages, or tens of thousands of ordinary notifications: far more than any live client lags.
MAX_PENDING_OUTPUT = 16 * 1024 * 1024
#: Bytes of queued frames handed to the transport at once when writing resumes (it may pause again).
_RESUME_CHUNK = 256 * 1024

_TEXT, _BINARY, _CONT = Opcode.TEXT, Opcode.BINARY, Opcode.CONT
_OPEN, _CONNECTING = State.OPEN, State.CONNECTING

#: websockets' logger for every connection: frames summarised by opcode and size, never their contents
_ws_logger = frame_safe_logger("websockets.server")

SelectSubprotocol = Callable[[ServerProtocol, Sequence[Subprotocol]], Subprotocol | None]


class WebSocketServerProtocol(asyncio.Protocol):
    """One server-side WebSocket connection. Subclasses implement `opened`, `message_received` and
    `connection_closed`, send with `send_texts` (then `flush`) and close with `close_websocket`.

    An exception raised by a subclass's hook is logged and the connection aborted; it never reaches the loop.
    """

    def __init__(self, *, max_size: int | None, select_subprotocol: SelectSubprotocol | None = None,
                 stamp_reads: bool = False) -> None:
        self.ws = ServerProtocol(select_subprotocol=select_subprotocol, max_size=max_size, logger=_ws_logger)
        self.remote_address: Any = None
        #: ``time.monotonic()`` when the bytes being handled were read (only with ``stamp_reads``)
        self.read_at = 0.0
        self._stamp_reads = stamp_reads
        self._transport: asyncio.Transport | None = None
        self._loop = asyncio.get_running_loop()
        self._open = False
        self._lost = False
        self._paused = False
        # data frames waiting for the transport to resume writing, and their size in bytes
        self._outgoing: collections.deque[bytes] = collections.deque()
        self._outgoing_bytes = 0
        # data frames queued so far, and how many of them were handed to the transport
        self.frames_queued = 0
        self.frames_written = 0
        self._fragments: list[BytesLike] | None = None
        self._fragments_binary = False
        self._discarding = False  # failed the connection: no more messages are handed up
        self._holding = 0  # > 0: inside a batch, `flush` waits for its end
        self._open_timer: asyncio.TimerHandle | None = None
        self._close_timer: asyncio.TimerHandle | None = None

    # ----- for subclasses -----------------------------------------------------------------------

    def opened(self) -> None:
        """The opening handshake completed (``self.ws.subprotocol`` holds the subprotocol chosen)."""

    def message_received(self, data: str | bytes) -> None:
        """A complete message: ``str`` from text frames, ``bytes`` from binary ones."""

    def data_written(self) -> None:
        """Data frames were handed to the transport: ``frames_written`` grew."""

    def connection_closed(self, code: int | None) -> None:
        """The connection is down. ``code``: the close code of whichever side closed first (ours when both
        did at once), None when the link just dropped."""

    @property
    def transport(self) -> asyncio.Transport:
        assert self._transport is not None, "not connected yet"
        return self._transport

    def send_texts(self, frames: list[bytes]) -> None:
        """Queue text frames (already UTF-8); they go out with the next `flush`. Dropped once closing."""
        if not frames:
            return
        if self._paused or self._outgoing:  # behind frames waiting for the transport: keep the order
            if self._lost or self.ws.state is not _OPEN:
                return
            self.frames_queued += len(frames)
            self._outgoing.extend(frames)
            self._outgoing_bytes += sum(map(len, frames))
            self._check_pending()
            return
        ws = self.ws
        if ws.state is not _OPEN:
            return
        send = ws.send_text
        for frame in frames:
            send(frame)
        self.frames_queued += len(frames)

    def send_raw_text(self, text: str) -> None:
        """Test hook: send ``text`` as one text frame at once, bypassing whatever the subclass would compose
        (to show a client a message the server itself never sends)."""
        self.send_texts([text.encode()])
        self.flush()

    def flush(self) -> None:
        """Write what the protocol has to send (frames, pongs, close frame, handshake response) in one
        ``transport.write``; unless inside a batch (`hold`), which flushes at its end."""
        if self._holding:
            return
        data = self.ws.data_to_send()
        if data:
            self._write(data)

    def hold(self) -> None:
        """Start a batch: frames sent until `release` go out in one write."""
        self._holding += 1

    def release(self) -> None:
        self._holding -= 1
        self.flush()

    def close_websocket(self, code: int, reason: str) -> None:
        """Start the closing handshake: the frames queued so far, then the close frame. The connection is
        dropped if the client does not complete the handshake within `CLOSE_TIMEOUT`."""
        ws = self.ws
        if self._lost or ws.state is not _OPEN:
            return
        if self._outgoing:  # they go before the close frame, even into a paused transport
            send = ws.send_text
            for frame in self._outgoing:
                send(frame)
            self._outgoing.clear()
            self._outgoing_bytes = 0
        ws.send_close(code, reason.encode()[:120].decode(errors="ignore"))  # a close frame's limit: 123 bytes
        self._arm_close_timer()
        self.flush()

    def abort(self) -> None:
        """Drop the connection at once (no close frame)."""
        if self._transport is not None:
            self._transport.abort()

    # ----- asyncio.Protocol ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's are no subclasses of asyncio's
        self.remote_address = transport.get_extra_info("peername")
        self._open_timer = self._loop.call_later(OPEN_TIMEOUT, self._open_timed_out)

    def data_received(self, data: bytes) -> None:
        if self._stamp_reads:
            self.read_at = time.monotonic()
        ws = self.ws
        self._holding += 1  # whatever the messages make us send goes out in one write
        try:
            ws.receive_data(data)
            for event in ws.events_received():
                if isinstance(event, Frame):
                    self._frame(event)
                elif isinstance(event, Request):
                    self._handshake(event)
        except Exception:
            logger.exception("%r: failed handling what the client sent; dropping the connection", self)
            self.abort()
            return
        finally:
            self._holding -= 1
        if not self._open and ws.handshake_exc is not None:
            self._refuse()
        else:
            self.flush()

    def eof_received(self) -> bool | None:
        self.ws.receive_eof()
        self.flush()
        return None  # the transport closes

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        try:
            outgoing = self._outgoing
            while outgoing and not self._paused and not self._lost:
                if self.ws.state is not _OPEN:
                    outgoing.clear()
                    self._outgoing_bytes = 0
                    break
                send = self.ws.send_text
                size = 0
                while outgoing and size < _RESUME_CHUNK:
                    frame = outgoing.popleft()
                    size += len(frame)
                    send(frame)
                self._outgoing_bytes -= size
                self.flush()  # may pause writing again
        except Exception:
            logger.exception("%r: failed writing what was queued; dropping the connection", self)
            self.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = True
        for timer in (self._open_timer, self._close_timer):
            if timer is not None:
                timer.cancel()
        self._outgoing.clear()
        if not self._open:
            return
        try:
            self.connection_closed(self._close_code())
        except Exception:
            logger.exception("%r: failed closing", self)

    # ----- plumbing -----------------------------------------------------------------------------

    def _handshake(self, request: Request) -> None:
        ws = self.ws
        response = ws.accept(request)
        ws.send_response(response)
        if response.status_code == 101:
            self._open = True
            if self._open_timer is not None:
                self._open_timer.cancel()
                self._open_timer = None
            self.opened()

    def _refuse(self) -> None:
        """The handshake failed: its HTTP error (websockets sends none for bytes that are no HTTP request at
        all), then the connection closes."""
        ws = self.ws
        data = ws.data_to_send()
        if data == [SEND_EOF]:
            data = [ws.reject(400, "Failed to open a WebSocket connection: not an HTTP request.\n").serialize(),
                    SEND_EOF]
        if data:
            self._write(data)

    def _frame(self, frame: Frame) -> None:
        opcode = frame.opcode
        if opcode is _TEXT or opcode is _BINARY:
            if frame.fin:
                self._deliver(frame.data, opcode is _BINARY)
            else:
                self._fragments = [frame.data]
                self._fragments_binary = opcode is _BINARY
        elif opcode is _CONT:
            fragments = self._fragments
            assert fragments is not None  # the protocol checks the sequence of frames
            fragments.append(frame.data)
            if frame.fin:
                self._fragments = None
                self._deliver(b"".join(fragments), self._fragments_binary)
        # ping, pong, close: the protocol answered already; its output goes out with the next flush

    def _deliver(self, data: BytesLike, binary: bool) -> None:
        if self._discarding:
            return
        if binary:
            self.message_received(bytes(data))
            return
        try:
            text = str(data, "utf-8")
        except UnicodeDecodeError as exc:
            self._discarding = True
            self.ws.fail(1007, f"{exc.reason} at position {exc.start}")  # invalid frame payload data
            return
        self.message_received(text)

    def _write(self, data: list[bytes]) -> None:
        transport = self._transport
        if transport is None or self._lost or transport.is_closing():
            return
        eof = data[-1] == SEND_EOF
        if eof:
            data.pop()
        if data:
            transport.write(data[0] if len(data) == 1 else b"".join(data))
            written = self.frames_queued - len(self._outgoing)
            if written != self.frames_written:
                self.frames_written = written
                self.data_written()
        if eof:  # the protocol is done with the connection: close it once the buffer is out
            self._discarding = True
            transport.close()
            self._arm_close_timer()

    def _check_pending(self) -> None:
        transport = self._transport
        pending = self._outgoing_bytes + (transport.get_write_buffer_size() if transport is not None else 0)
        if pending <= MAX_PENDING_OUTPUT:
            return
        logger.warning("%r: %d bytes waiting for a client that reads none; dropping the connection",
                       self, pending)
        self._outgoing.clear()
        self._outgoing_bytes = 0
        self.abort()

    def _arm_close_timer(self) -> None:
        if self._close_timer is None and not self._lost:
            self._close_timer = self._loop.call_later(CLOSE_TIMEOUT, self.abort)

    def _open_timed_out(self) -> None:
        self._open_timer = None
        if not self._open:
            logger.info("%r: no opening handshake in %.0f s; dropping the connection", self, OPEN_TIMEOUT)
            self.abort()

    def _close_code(self) -> int | None:
        """The close code of whichever side closed first; None when the link just dropped."""
        ws = self.ws
        rcvd, sent = ws.close_rcvd, ws.close_sent
        if rcvd is not None and (sent is None or ws.close_rcvd_then_sent):
            return rcvd.code
        return sent.code if sent is not None else None

    def __repr__(self) -> str:
        return f"<WebSocket from {self.remote_address}>"


__all__ = ["CLOSE_TIMEOUT", "MAX_PENDING_OUTPUT", "OPEN_TIMEOUT", "WebSocketServerProtocol"]
