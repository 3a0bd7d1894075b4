"""Numbers of the Trunking Dispatch Protocol v1 (TDP/1): limits, error codes, close codes, timer defaults.

Everything here is normative: `protocols/SPEC.md` quotes these names and values.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final

PROTOCOL_VERSION: Final = 1
SUPPORTED_VERSIONS: Final = (1,)
#: WebSocket subprotocol offered by clients and selected by servers.
SUBPROTOCOL: Final = "tdp.v1"
#: Largest message (one WebSocket text frame, UTF-8 bytes) either side may send.
MAX_MESSAGE_BYTES: Final = 64 * 1024
#: Longest text of a short-data (text) message or PIS text, in characters.
MAX_TEXT_CHARS: Final = 1000
#: Longest SDP body carried in a media offer or answer, in characters.
MAX_SDP_CHARS: Final = 32 * 1024

# Session timing (seconds). The server states the interval it wants in `welcome`.
HEARTBEAT_INTERVAL: Final = 0.25
HEARTBEAT_LOSS_THRESHOLD: Final = 3
#: How long a client waits for the answer to a request before reporting it timed out.
REQUEST_TIMEOUT: Final = 5.0
#: How long the server keeps a detached session's state for resumption.
RESUME_WINDOW: Final = 30.0
#: How many answered idempotency keys a server remembers per principal.
IDEMPOTENCY_MEMORY: Final = 4096


class ErrorCode(IntEnum):
    """Codes carried by `error` answers. Modelled on HTTP status codes so that they read at a glance."""

    BAD_MESSAGE = 400  #: malformed JSON, missing or mistyped field
    UNAUTHORIZED = 401  #: hello with wrong credentials, or a request before hello
    FORBIDDEN = 403  #: the role does not allow this request
    NOT_FOUND = 404  #: unknown terminal, group, call, alert, alarm or media session
    CONFLICT = 409  #: the request contradicts the current state (floor denied, busy callee, ...)
    STALE_EPOCH = 410  #: the message carries an epoch the receiver must refuse
    TOO_LARGE = 413  #: the message exceeds MAX_MESSAGE_BYTES, or a field its limit
    UNKNOWN_TYPE = 415  #: the message type `t` is not one of this version's types
    NOT_ACTIVE = 421  #: sent to the standby instance; retry on the active one
    KEY_REUSED = 422  #: idempotency key already used with a different request
    DUPLICATE_ID = 423  #: request id already used in this session
    UNSUPPORTED_VERSION = 426  #: no protocol version in common
    RATE_LIMITED = 429  #: too many requests; retry later
    INTERNAL = 500  #: the platform failed; the request may be retried with the same key
    UNAVAILABLE = 503  #: the platform cannot serve now (replication to the standby down, ...)
    TIMEOUT = 504  #: no answer in time (reported locally by a client, never sent)


class CloseCode(IntEnum):
    """WebSocket close codes used by TDP/1 (RFC 6455 codes plus the 4000-4999 private range)."""

    NORMAL = 1000
    GOING_AWAY = 1001
    PROTOCOL_ERROR = 1002
    MESSAGE_TOO_BIG = 1009
    AUTH_FAILED = 4001
    UNSUPPORTED_VERSION = 4002
    SESSION_REPLACED = 4003
    HEARTBEAT_TIMEOUT = 4004
    DEPOSED = 4005  #: the instance lost its active role to a higher epoch
    HELLO_TIMEOUT = 4006
    TOO_MANY_ERRORS = 4007


#: A peer that sends this many undecodable messages in a row is closed with TOO_MANY_ERRORS.
MAX_CONSECUTIVE_ERRORS: Final = 32
#: A connection must send `hello` within this many seconds.
HELLO_TIMEOUT: Final = 5.0


# Floor control timers (seconds), 3GPP TS 24.380 names. Over WebSocket nothing is lost in transit, so
# the retransmission timers bound the wait for an answer and the retransmission re-sends the same
# request with the same idempotency key (the server answers a repeat without acting twice).
T100_FLOOR_RELEASE: Final = 0.5
C100_FLOOR_RELEASE: Final = 3
T101_FLOOR_REQUEST: Final = 0.5
C101_FLOOR_REQUEST: Final = 3
#: End of RTP media: armed on the receiving side once media was seen; idle assumed on expiry.
T103_END_OF_MEDIA: Final = 4.0
#: Floor queue position request: a queued terminal asks for its position when it heard nothing for T104.
T104_QUEUE_POSITION: Final = 2.0
C104_QUEUE_POSITION: Final = 3

#: Server: end of RTP media from the holder (armed once the media plane reported the holder's media).
T1_END_OF_MEDIA: Final = 4.0
#: Server: stop talking, the talk-time limit per priority class (None: no limit).
T2_STOP_TALKING: Final = 30.0
T2_STOP_TALKING_DISPATCHER: Final = 120.0
T2_STOP_TALKING_IMMINENT_PERIL: Final = 120.0
T2_STOP_TALKING_EMERGENCY: Final[float | None] = None
#: Server: Floor Idle repetition while the floor stays idle (C7 announcements in all).
T7_FLOOR_IDLE: Final = 1.0
C7_FLOOR_IDLE: Final = 1
#: Server: pending revoke, the time a revoked holder has to stop before the floor is taken from it.
T8_FLOOR_REVOKE: Final = 0.5
#: Server: Floor Granted repetition until the grantee acknowledges with floor.ack (C20 in all).
T20_FLOOR_GRANTED: Final = 1.0
C20_FLOOR_GRANTED: Final = 3
#: Floor queue length per call; a newcomer beyond it is denied (or bumps a lower-class last entry).
FLOOR_QUEUE_LIMIT: Final = 16
#: A private call not answered within this many seconds ends with reason no_answer.
PRIVATE_CALL_RING: Final = 20.0
#: Location reports beyond this rate per terminal are dropped.
MAX_LOCATION_REPORTS_PER_SECOND: Final = 10
#: A video session not live within this many seconds is failed.
VIDEO_SETUP_TIMEOUT: Final = 10.0
#: Group call hang time: an idle group call is released after this long without a floor request.
GROUP_CALL_HANG: Final = 10.0
