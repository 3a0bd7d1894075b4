"""An asyncio client of Janus's API over its WebSocket transport: sessions, plugin handles, transactions, events.

Only the platform talks to Janus (it brokers the SFU for terminals and consoles), so this client is written for a
long-lived server process: one WebSocket (subprotocol ``janus-protocol``) carries every session; each request has
a transaction id and gets exactly one answer, or a `JanusTimeout`, or `JanusConnectionLost`.

Janus answers a plugin ``message`` either synchronously (``success`` with the plugin's data) or with an ``ack``
followed later by an ``event`` carrying the same transaction: `JanusHandle.message` hides the difference and
raises `PluginError` with the plugin's ``error_code`` and ``error`` when the plugin refused. Everything Janus
sends on its own (``webrtcup``, ``media``, ``slowlink``, ``hangup``, ``detached``, plugin events without a
transaction) reaches the handle's callbacks and its recent-event list, which `JanusHandle.wait_event` searches.

Loss of Janus is reported, never swallowed: when the WebSocket closes, a keepalive goes unanswered or Janus
times a session out, every pending request fails with `JanusConnectionLost` and the `on_lost` callbacks run once,
so the platform can say "media plane down" and build everything again once Janus is back.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

import websockets
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.typing import Subprotocol

log = logging.getLogger(__name__)

__all__ = [
    "DETACHED",
    "HANGUP",
    "MEDIA",
    "SLOWLINK",
    "SUBPROTOCOL",
    "WEBRTCUP",
    "JanusApiError",
    "JanusClient",
    "JanusConnectionLost",
    "JanusError",
    "JanusEvent",
    "JanusHandle",
    "JanusSession",
    "JanusTimeout",
    "JsonObject",
    "PluginError",
    "PluginReply",
    "jsep_answer",
    "jsep_offer",
]

JsonObject = dict[str, Any]

#: the WebSocket subprotocol of Janus's API (the admin API would be ``janus-admin-protocol``)
SUBPROTOCOL = "janus-protocol"
#: core events Janus sends about a handle's PeerConnection
WEBRTCUP, MEDIA, SLOWLINK, HANGUP, DETACHED = "webrtcup", "media", "slowlink", "hangup", "detached"
#: how many recent events a handle keeps for `JanusHandle.wait_event`
EVENT_HISTORY = 256
#: Janus's default session timeout is 60 s; a keepalive every 15 s leaves room for three to go missing
DEFAULT_KEEPALIVE = 15.0


class JanusError(Exception):
    """Janus refused or did not answer a request; ``code`` and ``reason`` are Janus's own when it gave them."""

    def __init__(self, reason: str, *, code: int | None = None, request: str = "") -> None:
        self.code = code
        self.reason = reason
        self.request = request
        where = f"Janus {request}" if request else "Janus"
        super().__init__(f"{where}: {reason}" + (f" (error {code})" if code is not None else ""))


class JanusApiError(JanusError):
    """The Janus core answered ``error`` (no such session or handle, malformed request, unknown plugin, ...)."""


class PluginError(JanusError):
    """A plugin refused a message: ``code`` is its ``error_code`` (e.g. VideoRoom 426: no such room)."""


class JanusTimeout(JanusError, TimeoutError):
    """No answer within the request's timeout."""


class JanusConnectionLost(JanusError, ConnectionError):
    """The connection to Janus is gone (closed, unanswered keepalive, or Janus timed out the session)."""


def jsep_offer(sdp: str) -> JsonObject:
    """A JSEP offer for a request's ``jsep`` field."""
    return {"type": "offer", "sdp": sdp}


def jsep_answer(sdp: str) -> JsonObject:
    """A JSEP answer for a request's ``jsep`` field."""
    return {"type": "answer", "sdp": sdp}


def _plugin_data(message: JsonObject) -> JsonObject:
    plugindata = message.get("plugindata")
    data = plugindata.get("data") if isinstance(plugindata, dict) else None
    return data if isinstance(data, dict) else {}


def _jsep(message: JsonObject) -> JsonObject | None:
    jsep = message.get("jsep")
    return jsep if isinstance(jsep, dict) else None


@dataclass(frozen=True)
class JanusEvent:
    """Something Janus sent about a handle without being asked: ``kind`` is the message's ``janus`` field."""

    kind: str
    message: JsonObject
    #: position in the handle's event sequence (1 for its first event)
    seq: int = 0

    @property
    def data(self) -> JsonObject:
        """The plugin's data (``plugindata.data``), empty for core events."""
        return _plugin_data(self.message)

    @property
    def jsep(self) -> JsonObject | None:
        return _jsep(self.message)


@dataclass(frozen=True)
class PluginReply:
    """A plugin's answer to a message: its data and, when it negotiates, a JSEP offer or answer."""

    data: JsonObject
    jsep: JsonObject | None = None

    @property
    def sdp(self) -> str | None:
        """The SDP of the attached JSEP, if any."""
        return str(self.jsep["sdp"]) if self.jsep is not None and "sdp" in self.jsep else None


@dataclass
class _Pending:
    future: asyncio.Future[JsonObject]
    request: str
    #: a plugin message: an ``ack`` only says it was queued; wait for the ``success`` or ``event``
    until_event: bool
    acked: bool = field(default=False)


class JanusClient:
    """One WebSocket to Janus's API; make it with `connect` (see the module docstring)."""

    def __init__(self, ws: ClientConnection, url: str, *, request_timeout: float) -> None:
        self.url = url
        self.request_timeout = request_timeout
        self._ws = ws
        self._pending: dict[str, _Pending] = {}
        self._ids = itertools.count(1)
        self._sessions: dict[int, JanusSession] = {}
        self._lost_callbacks: list[Callable[[str], None]] = []
        self._lost = asyncio.Event()
        self._lost_reason: str | None = None
        self._closing = False
        self._reader = asyncio.get_running_loop().create_task(self._read(), name=f"janus-reader {url}")

    @classmethod
    async def connect(cls, url: str, *, timeout: float = 5.0, request_timeout: float = 10.0,
                      ping_interval: float | None = 5.0) -> Self:
        """Open the WebSocket to Janus's API at ``url`` (``ws://127.0.0.1:8188``).

        Raises ConnectionError (OSError) when Janus cannot be reached or does not speak its protocol there.
        WebSocket pings every ``ping_interval`` seconds notice a Janus that stopped answering at all.
        """
        try:
            ws = await ws_connect(url, subprotocols=[Subprotocol(SUBPROTOCOL)], open_timeout=timeout,
                                  ping_interval=ping_interval, ping_timeout=ping_interval, close_timeout=2.0,
                                  max_size=16 * 1024 * 1024, compression=None, proxy=None)
        except websockets.InvalidHandshake as exc:
            raise ConnectionError(f"{url}: not Janus's WebSocket API: {exc}") from exc
        except TimeoutError as exc:
            raise ConnectionError(f"{url}: Janus did not answer within {timeout} s") from exc
        if ws.subprotocol != SUBPROTOCOL:
            await ws.close()
            raise ConnectionError(f"{url}: the server did not select subprotocol {SUBPROTOCOL}")
        return cls(ws, url, request_timeout=request_timeout)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        trace: TracebackType | None) -> None:
        await self.close()

    # ----- loss of Janus ------------------------------------------------------------------------------------

    @property
    def lost(self) -> bool:
        """True once the connection is gone (whether Janus died or `close` was called)."""
        return self._lost.is_set()

    @property
    def lost_reason(self) -> str | None:
        return self._lost_reason

    def on_lost(self, callback: Callable[[str], None]) -> None:
        """Call ``callback(reason)`` once when the connection to Janus is lost (not after `close`)."""
        self._lost_callbacks.append(callback)

    async def wait_lost(self) -> str:
        """Wait until the connection is lost; the reason."""
        await self._lost.wait()
        return self._lost_reason or "closed"

    def _mark_lost(self, reason: str) -> None:
        if self._lost.is_set():
            return
        self._lost_reason = reason
        self._lost.set()
        pending, self._pending = self._pending, {}
        for entry in pending.values():
            if not entry.future.done():
                entry.future.set_exception(JanusConnectionLost(reason, request=entry.request))
        for session in list(self._sessions.values()):
            session._stop_keepalive()
            for handle in list(session.handles.values()):
                handle._wake()
        if self._closing:
            return
        log.warning("Janus at %s lost: %s", self.url, reason)
        for callback in self._lost_callbacks:
            try:
                callback(reason)
            except Exception:
                log.exception("Janus loss callback %r failed", callback)

    async def _abort(self, reason: str) -> None:
        """Give the connection up (Janus hung): report the loss, then close the socket."""
        self._mark_lost(reason)
        with contextlib.suppress(Exception):
            await self._ws.close()

    # ----- requests -----------------------------------------------------------------------------------------

    async def request(self, payload: JsonObject, *, timeout: float | None = None, until_event: bool = False
                      ) -> JsonObject:
        """Send ``payload`` (a Janus API request without ``transaction``) and return Janus's answer.

        The answer is the first reply with the request's transaction (``ack`` included), or with ``until_event``
        the first that is not an ``ack``. Raises `JanusApiError` when Janus answered ``error``, `JanusTimeout`,
        or `JanusConnectionLost`.
        """
        what = str(payload.get("janus", "?"))
        body = payload.get("body")
        if isinstance(body, dict) and "request" in body:
            what = f"{what} {body['request']}"
        if self.lost:
            raise JanusConnectionLost(self._lost_reason or "closed", request=what)
        transaction = f"t{next(self._ids)}"
        future: asyncio.Future[JsonObject] = asyncio.get_running_loop().create_future()
        self._pending[transaction] = _Pending(future, what, until_event)
        try:
            await self._ws.send(json.dumps({**payload, "transaction": transaction}))
        except websockets.ConnectionClosed as exc:
            self._pending.pop(transaction, None)
            self._mark_lost(f"connection closed: {exc}")
            raise JanusConnectionLost(self._lost_reason or "closed", request=what) from exc
        wait = self.request_timeout if timeout is None else timeout
        try:
            reply = await asyncio.wait_for(future, wait)
        except TimeoutError:
            raise JanusTimeout(f"no answer within {wait:g} s", request=what) from None
        finally:
            self._pending.pop(transaction, None)
        if reply.get("janus") == "error":
            error = reply.get("error")
            if not isinstance(error, dict):
                error = {}
            raise JanusApiError(str(error.get("reason", "error")), code=error.get("code"), request=what)
        return reply

    async def info(self, *, timeout: float | None = None) -> JsonObject:
        """Janus's ``server_info`` (version, plugins and transports loaded, settings)."""
        return await self.request({"janus": "info"}, timeout=timeout)

    async def create_session(self, *, keepalive: float | None = DEFAULT_KEEPALIVE) -> JanusSession:
        """A new Janus session, kept alive every ``keepalive`` seconds (None: never; Janus then times it out)."""
        reply = await self.request({"janus": "create"})
        session_id = int(reply["data"]["id"])
        session = JanusSession(self, session_id, keepalive=keepalive)
        self._sessions[session_id] = session
        return session

    async def close(self) -> None:
        """Close the connection (Janus then destroys its sessions at once; ``reclaim_session_timeout`` is 0)."""
        self._closing = True
        self._mark_lost("closed by us")
        for session in list(self._sessions.values()):
            session._stop_keepalive()
        with contextlib.suppress(Exception):
            await self._ws.close()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader

    # ----- what Janus sends ---------------------------------------------------------------------------------

    async def _read(self) -> None:
        reason = "connection closed"
        try:
            async for raw in self._ws:
                self._receive(raw)
        except websockets.ConnectionClosed as exc:
            reason = f"connection closed: {exc}"
        except asyncio.CancelledError:
            reason = "closed by us"
            raise
        except Exception as exc:  # a bug here must not leave requests hanging
            log.exception("Janus reader failed")
            reason = f"reader failed: {exc!r}"
        finally:
            self._mark_lost(reason)

    def _receive(self, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            log.warning("Janus sent something that is not JSON (%d bytes): ignored", len(raw))
            return
        if not isinstance(message, dict):
            log.warning("Janus sent a JSON %s, not an object: ignored", type(message).__name__)
            return
        transaction = message.get("transaction")
        entry = self._pending.get(transaction) if isinstance(transaction, str) else None
        if entry is not None:
            if message.get("janus") == "ack" and entry.until_event:
                entry.acked = True
                return
            if not entry.future.done():
                entry.future.set_result(message)
            return
        self._route(message)

    def _route(self, message: JsonObject) -> None:
        kind = message.get("janus")
        session = self._sessions.get(message.get("session_id"))  # type: ignore[arg-type]
        if session is None:
            if kind not in ("ack", "success"):  # late answers of requests that timed out are expected
                log.debug("Janus %s for no known session: %s", kind, message.get("session_id"))
            return
        if kind == "timeout":
            session._expired("Janus timed the session out")
            return
        sender = message.get("sender")
        handle = session.handles.get(sender) if isinstance(sender, int) else None
        if handle is None:
            if kind not in ("ack", "success"):
                log.debug("Janus %s for no known handle %s", kind, sender)
            return
        handle._dispatch(str(kind), message)

    def _forget(self, session: JanusSession) -> None:
        self._sessions.pop(session.id, None)


class JanusSession:
    """A Janus session: owns plugin handles and keeps itself alive (see `JanusClient.create_session`)."""

    def __init__(self, client: JanusClient, session_id: int, *, keepalive: float | None) -> None:
        self.client = client
        self.id = session_id
        self.handles: dict[int, JanusHandle] = {}
        self.destroyed = False
        self._keepalive: asyncio.Task[None] | None = None
        if keepalive is not None:
            self._keepalive = asyncio.get_running_loop().create_task(
                self._keep_alive(keepalive), name=f"janus-keepalive {session_id}")

    async def attach(self, plugin: str, *, opaque_id: str | None = None) -> JanusHandle:
        """A handle on ``plugin`` (``janus.plugin.videoroom``, ``janus.plugin.audiobridge``)."""
        payload: JsonObject = {"janus": "attach", "session_id": self.id, "plugin": plugin}
        if opaque_id is not None:
            payload["opaque_id"] = opaque_id
        reply = await self.client.request(payload)
        handle = JanusHandle(self, int(reply["data"]["id"]), plugin)
        self.handles[handle.id] = handle
        return handle

    async def destroy(self) -> None:
        """Destroy the session and every handle in it (idempotent; quiet when Janus is gone)."""
        if self.destroyed:
            return
        self.destroyed = True
        self._stop_keepalive()
        self.client._forget(self)
        if not self.client.lost:
            with contextlib.suppress(JanusConnectionLost, JanusApiError, JanusTimeout):
                await self.client.request({"janus": "destroy", "session_id": self.id})

    def _stop_keepalive(self) -> None:
        if self._keepalive is not None and self._keepalive is not asyncio.current_task():
            self._keepalive.cancel()
        self._keepalive = None

    def _expired(self, reason: str) -> None:
        log.warning("Janus session %d: %s", self.id, reason)
        self.destroyed = True
        self._stop_keepalive()
        self.client._forget(self)
        for handle in self.handles.values():
            handle._dispatch(DETACHED, {"janus": DETACHED, "reason": reason})
        # a platform that keeps its sessions alive never sees this unless Janus lost its state: the same as a loss
        self.client._mark_lost(f"session {self.id}: {reason}")

    async def _keep_alive(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await self.client.request({"janus": "keepalive", "session_id": self.id}, timeout=interval)
            except JanusConnectionLost:
                return
            except JanusApiError as exc:  # 458: no such session (Janus restarted under the same address)
                self._keepalive = None
                self._expired(f"keepalive refused: {exc.reason}")
                return
            except JanusTimeout:
                self._keepalive = None
                await self.client._abort(f"no answer to a keepalive within {interval:g} s")
                return


class JanusHandle:
    """A handle on a plugin: plugin messages, trickle, hangup, detach, and the events Janus sends about it."""

    def __init__(self, session: JanusSession, handle_id: int, plugin: str) -> None:
        self.session = session
        self.id = handle_id
        self.plugin = plugin
        self.detached = False
        #: why Janus hung the PeerConnection up, when it did (None while up or never set up)
        self.hangup_reason: str | None = None
        self.events: collections.deque[JanusEvent] = collections.deque(maxlen=EVENT_HISTORY)
        self._seq = 0
        self._callbacks: list[Callable[[JanusEvent], None]] = []
        self._waiters: set[asyncio.Future[None]] = set()

    @property
    def client(self) -> JanusClient:
        return self.session.client

    @property
    def event_count(self) -> int:
        """How many events arrived so far: pass it as ``after`` to wait for a later one."""
        return self._seq

    def on_event(self, callback: Callable[[JanusEvent], None]) -> Callable[[], None]:
        """Call ``callback(event)`` for every event Janus sends about this handle; returns the unsubscriber."""
        self._callbacks.append(callback)
        return lambda: self._callbacks.remove(callback) if callback in self._callbacks else None

    async def message(self, body: JsonObject, *, jsep: JsonObject | None = None, timeout: float | None = None
                      ) -> PluginReply:
        """Send a plugin message (``body`` holds its ``request``) and return the plugin's reply, synchronous or
        asynchronous. Raises `PluginError` when the plugin refused it (``error_code`` / ``error``)."""
        payload: JsonObject = {"janus": "message", "session_id": self.session.id, "handle_id": self.id,
                               "body": body}
        if jsep is not None:
            payload["jsep"] = jsep
        reply = await self.client.request(payload, timeout=timeout, until_event=True)
        data = _plugin_data(reply)
        if "error_code" in data or "error" in data:
            code = data.get("error_code")
            raise PluginError(str(data.get("error", "refused")), code=int(code) if isinstance(code, int) else None,
                              request=f"{self.plugin.rsplit('.', 1)[-1]} {body.get('request', '?')}")
        return PluginReply(data, _jsep(reply))

    async def trickle(self, candidate: JsonObject | None) -> None:
        """Send one ICE candidate (``{"sdpMid", "sdpMLineIndex", "candidate"}``), or None: gathering completed."""
        payload: JsonObject = {"janus": "trickle", "session_id": self.session.id, "handle_id": self.id,
                               "candidate": candidate if candidate is not None else {"completed": True}}
        await self.client.request(payload)

    async def hangup(self) -> None:
        """Tear down the handle's PeerConnection (the handle stays attached)."""
        await self.client.request({"janus": "hangup", "session_id": self.session.id, "handle_id": self.id})

    async def detach(self) -> None:
        """Detach from the plugin (idempotent; quiet when Janus or the session is gone)."""
        if self.detached:
            return
        self.detached = True
        self.session.handles.pop(self.id, None)
        if self.client.lost or self.session.destroyed:
            return
        with contextlib.suppress(JanusConnectionLost, JanusApiError, JanusTimeout):
            await self.client.request({"janus": "detach", "session_id": self.session.id, "handle_id": self.id})

    async def wait_event(self, match: Callable[[JanusEvent], bool], *, timeout: float = 10.0, after: int = 0
                         ) -> JanusEvent:
        """The first event numbered above ``after`` (see `event_count`) that ``match``es, waiting up to
        ``timeout`` seconds. Raises `JanusTimeout`, or `JanusConnectionLost` when Janus goes away meanwhile."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for event in self.events:
                if event.seq > after and match(event):
                    return event
            if self.client.lost:
                raise JanusConnectionLost(self.client.lost_reason or "closed", request=f"handle {self.id}: waiting")
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise JanusTimeout(f"no matching event within {timeout:g} s", request=f"handle {self.id}")
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.add(waiter)
            try:
                await asyncio.wait_for(waiter, remaining)
            except TimeoutError:
                pass  # checked once more above, then reported
            finally:
                self._waiters.discard(waiter)

    def _dispatch(self, kind: str, message: JsonObject) -> None:
        self._seq += 1
        event = JanusEvent(kind, message, self._seq)
        if kind == HANGUP:
            self.hangup_reason = str(message.get("reason", "hangup"))
        elif kind == WEBRTCUP:
            self.hangup_reason = None
        elif kind == DETACHED:
            self.detached = True
            self.session.handles.pop(self.id, None)
        self.events.append(event)
        for callback in list(self._callbacks):
            try:
                callback(event)
            except Exception:
                log.exception("Janus event callback %r failed on %s", callback, kind)
        self._wake()

    def _wake(self) -> None:
        """Let every `wait_event` look again (an event arrived, or Janus was lost)."""
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
