"""The replication journal: every input that changes `PlatformState`, in order.

The active instance turns each input (a session attached or detached, a request, a notification, a timer
expiry, the loss of an instance) into an `Entry`, applies it, and ships it to the standby, which applies the
same entry to its own copy. `PlatformState` is deterministic, so both copies stay equal and both compute the
same notifications; each instance delivers them to its own sessions.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from protocols.codec import decode, encode
from protocols.messages import Error, Message, Notification, Ok, Request
from testbed.platform.model import Outbound
from testbed.platform.state import PlatformState

EntryKind = Literal["attach", "detach", "sessions", "request", "notify", "timer", "instance_lost", "media_plane"]


class Entry(msgspec.Struct, array_like=True, frozen=True, omit_defaults=True):
    """One input to the platform state, with the time it was applied at on the active."""

    index: int
    epoch: int
    now: float
    kind: EntryKind
    principal: str = ""
    #: the instance a session opened or closed on (attach, detach), or the instance lost
    via: str = ""
    #: the encoded TDP/1 request or notification (request, notify)
    body: bytes = b""
    orderly: bool = False
    token: str = ""
    grace: float = 0.0
    #: how many sessions ``principal`` has on instance ``via`` (sessions); 1 when the SFU is up (media_plane)
    count: int = 0
    #: why the SFU went or came back (media_plane)
    text: str = ""


def message_entry(index: int, epoch: int, now: float, principal: str, message: Message, *,
                  with_body: bool = True) -> Entry:
    """The entry of a request or notification from ``principal`` (``with_body=False``: not to be shipped, so
    not encoded; apply it with the message at hand)."""
    kind: EntryKind = "request" if isinstance(message, Request) else "notify"
    return Entry(index=index, epoch=epoch, now=now, kind=kind, principal=principal,
                 body=encode(message) if with_body else b"")


def apply_entry(state: PlatformState, entry: Entry, message: Message | None = None) -> tuple[
        Ok | Error | None, list[Outbound]]:
    """Apply one entry; the answer (for requests) and the notifications it causes.

    ``message`` is the entry's request or notification already decoded (the active has it at hand), which
    spares decoding ``body`` again."""
    if entry.kind == "request":
        request = message if message is not None else decode(entry.body)
        assert isinstance(request, Request)
        return state.apply(entry.principal, request, entry.now)
    if entry.kind == "notify":
        notification = message if message is not None else decode(entry.body)
        assert isinstance(notification, Notification)
        return None, state.notify(entry.principal, notification, entry.now)
    if entry.kind == "attach":
        return None, state.attach(entry.principal, entry.now, via=entry.via, token=entry.token or None)
    if entry.kind == "detach":
        return None, state.detach(entry.principal, entry.now, via=entry.via, orderly=entry.orderly)
    if entry.kind == "sessions":
        return None, state.set_sessions(entry.principal, entry.now, via=entry.via, count=entry.count,
                                        token=entry.token or None, orderly=entry.orderly)
    if entry.kind == "timer":
        return None, state.handle_timer(entry.now)
    if entry.kind == "media_plane":
        return None, state.media_plane(entry.count == 1, entry.text, entry.now)
    if entry.kind == "instance_lost":
        return None, state.instance_lost(entry.via, entry.now, grace=entry.grace)
    raise ValueError(f"unknown journal entry kind {entry.kind!r}")
