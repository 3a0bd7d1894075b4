"""Events the TDP/1 session machines hand to their owner (SPEC.md §4).

Kept apart from the machines, aioquic-style, so that drivers and tests can name them without pulling
in either role's state machine.
"""

from __future__ import annotations

from dataclasses import dataclass

from protocols.codec import ProtocolError
from protocols.messages import Error, Hello, Message, Ok, Request, Welcome


@dataclass(frozen=True)
class SessionEvent:
    """Base of every session event."""


# ----- both roles -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PeerSilent(SessionEvent):
    """Nothing arrived from the peer for heartbeat interval x loss threshold: the link is presumed dead."""

    #: seconds since the last message from the peer
    silent_for: float


# ----- client ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Welcomed(SessionEvent):
    """The server accepted the hello; the session is open."""

    welcome: Welcome


@dataclass(frozen=True)
class HelloRejected(SessionEvent):
    """The server (or the hello's own timeout) refused the hello; the session is closed."""

    error: Error


@dataclass(frozen=True)
class Answered(SessionEvent):
    """A request got its one answer (which may be an `Error`)."""

    request: Request
    answer: Ok | Error


@dataclass(frozen=True)
class RequestFailed(SessionEvent):
    """A request got no answer: timed out (504), or given up after the connection was lost."""

    request: Request
    error: Error


@dataclass(frozen=True)
class Received(SessionEvent):
    """A notification from the server (heartbeats excluded)."""

    message: Message


@dataclass(frozen=True)
class StaleMessage(SessionEvent):
    """A server message with an epoch below the highest seen was dropped (a superseded instance)."""

    message: Message
    #: the highest epoch the client had seen when it dropped the message
    highest_epoch: int


@dataclass(frozen=True)
class EpochRaised(SessionEvent):
    """A server message carried an epoch above the highest seen; the client adopted it."""

    old: int
    new: int


@dataclass(frozen=True)
class Violation(SessionEvent):
    """The server sent something undecodable or out of place; it was dropped."""

    error: ProtocolError


@dataclass(frozen=True)
class UnexpectedAnswer(SessionEvent):
    """An answer whose ``re`` matches no outstanding request (late, duplicated, or re=None)."""

    answer: Ok | Error | Welcome


# ----- server ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class HelloReceived(SessionEvent):
    """A client said hello with a common version; the owner must `accept` or `reject` it."""

    hello: Hello


@dataclass(frozen=True)
class RequestReceived(SessionEvent):
    """A request to serve; the owner must `answer` it exactly once."""

    request: Request


@dataclass(frozen=True)
class NotificationReceived(SessionEvent):
    """A notification from the client (heartbeats excluded)."""

    message: Message


@dataclass(frozen=True)
class CloseRequested(SessionEvent):
    """The session ended; the driver sends what is queued, then closes the socket with ``code``."""

    code: int
    reason: str


ClientEvent = (
    Welcomed | HelloRejected | Answered | RequestFailed | Received | PeerSilent | StaleMessage
    | EpochRaised | Violation | UnexpectedAnswer
)
ServerEvent = HelloReceived | RequestReceived | NotificationReceived | PeerSilent | CloseRequested

__all__ = [
    "Answered",
    "ClientEvent",
    "CloseRequested",
    "EpochRaised",
    "HelloReceived",
    "HelloRejected",
    "NotificationReceived",
    "PeerSilent",
    "Received",
    "RequestFailed",
    "RequestReceived",
    "ServerEvent",
    "SessionEvent",
    "StaleMessage",
    "UnexpectedAnswer",
    "Violation",
    "Welcomed",
]
