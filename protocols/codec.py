"""Encoding and decoding of TDP/1 messages: JSON text, one message per WebSocket frame.

`decode` either returns a typed `Message` or raises `ProtocolError`; nothing else escapes it, whatever
the input (SPEC.md "Errors"; fuzzed in tests/protocols/test_codec_fuzz.py).
"""

from __future__ import annotations

import msgspec

from protocols.constants import MAX_MESSAGE_BYTES, MAX_SDP_CHARS, MAX_TEXT_CHARS, ErrorCode
from protocols.messages import (
    MESSAGE_TYPES,
    AnyMessage,
    MediaAnswer,
    MediaOffer,
    Message,
    PisPush,
    Request,
    TextSend,
)


class ProtocolError(Exception):
    """The one error type for anything a peer sends wrong.

    ``code`` is an `ErrorCode`; ``re`` is the id of the offending request when it could be read, so that
    the error can be sent back as that request's answer.
    """

    def __init__(self, code: ErrorCode, reason: str, re: int | None = None) -> None:
        super().__init__(f"{int(code)} {code.name.lower()}: {reason}")
        self.code = code
        self.reason = reason
        self.re = re


class _Envelope(msgspec.Struct, forbid_unknown_fields=False):
    """The two members needed to answer a message that failed to decode."""

    t: object = None
    id: object = None


_encoder = msgspec.json.Encoder()
_decoder: msgspec.json.Decoder[AnyMessage] = msgspec.json.Decoder(AnyMessage)
_envelope_decoder = msgspec.json.Decoder(_Envelope)

_LIMITED_FIELDS: tuple[tuple[type[Message], str, int], ...] = (
    (TextSend, "text", MAX_TEXT_CHARS),
    (PisPush, "text", MAX_TEXT_CHARS),
    (PisPush, "text_en", MAX_TEXT_CHARS),
    (MediaOffer, "sdp", MAX_SDP_CHARS),
    (MediaAnswer, "sdp", MAX_SDP_CHARS),
)


def encode(message: Message) -> bytes:
    """Serialise a message to UTF-8 JSON. Raises `ProtocolError` (TOO_LARGE) past the size limit."""
    data = _encoder.encode(message)
    if len(data) > MAX_MESSAGE_BYTES:
        raise ProtocolError(ErrorCode.TOO_LARGE, f"message of {len(data)} bytes exceeds {MAX_MESSAGE_BYTES}")
    return data


def decode(data: bytes | str) -> Message:
    """Parse one message. Raises `ProtocolError` for anything that is not a valid TDP/1 message."""
    if isinstance(data, str):
        try:
            data = data.encode("utf-8")
        except UnicodeEncodeError as exc:  # lone surrogates
            raise ProtocolError(ErrorCode.BAD_MESSAGE, "text is not valid UTF-8") from exc
    if len(data) > MAX_MESSAGE_BYTES:
        reason = f"message of {len(data)} bytes exceeds {MAX_MESSAGE_BYTES}"
        raise ProtocolError(ErrorCode.TOO_LARGE, reason, _request_id(data))
    try:
        message: Message = _decoder.decode(data)
    except msgspec.DecodeError as exc:
        raise _explain(data, exc) from None
    except (ValueError, TypeError, RecursionError) as exc:  # defensive: msgspec raises DecodeError today
        raise ProtocolError(ErrorCode.BAD_MESSAGE, f"undecodable message: {exc}") from None
    _check(message)
    return message


def _check(message: Message) -> None:
    """Checks a schema cannot say: positive ids, length limits of free text and SDP."""
    re = message.id if isinstance(message, Request) else None
    if isinstance(message, Request) and message.id <= 0:
        raise ProtocolError(ErrorCode.BAD_MESSAGE, "request id must be a positive integer")
    if message.epoch < 0:
        raise ProtocolError(ErrorCode.BAD_MESSAGE, "epoch must not be negative", re)
    for cls, field, limit in _LIMITED_FIELDS:
        if isinstance(message, cls):
            value = getattr(message, field)
            if len(value) > limit:
                raise ProtocolError(ErrorCode.TOO_LARGE, f"{field} longer than {limit} characters", re)


def _explain(data: bytes, exc: msgspec.DecodeError) -> ProtocolError:
    """Turn a msgspec failure into the protocol error the spec names, with the request id if readable."""
    try:
        envelope = _envelope_decoder.decode(data)
    except msgspec.DecodeError:
        return ProtocolError(ErrorCode.BAD_MESSAGE, f"not a JSON object: {exc}")
    except (ValueError, RecursionError) as envelope_exc:  # bad UTF-8 in `t`/`id`, or nesting too deep
        return ProtocolError(ErrorCode.BAD_MESSAGE, f"undecodable message: {envelope_exc}")
    tag = envelope.t
    re = _positive_int(envelope.id) if isinstance(tag, str) and _is_request_tag(tag) else None
    if not isinstance(tag, str):
        return ProtocolError(ErrorCode.BAD_MESSAGE, "message has no string member 't'", re)
    if tag not in MESSAGE_TYPES:
        reason = f"unknown message type {tag[:64]!r}"
        return ProtocolError(ErrorCode.UNKNOWN_TYPE, reason, _positive_int(envelope.id))
    return ProtocolError(ErrorCode.BAD_MESSAGE, f"invalid {tag}: {exc}", re)


def _request_id(data: bytes) -> int | None:
    """Best-effort id of an oversized request, so the TOO_LARGE error can answer it."""
    try:
        envelope = _envelope_decoder.decode(data)
    except (ValueError, RecursionError):  # msgspec.DecodeError, bad UTF-8, nesting too deep
        return None
    if isinstance(envelope.t, str) and _is_request_tag(envelope.t):
        return _positive_int(envelope.id)
    return None


def _is_request_tag(tag: str) -> bool:
    cls = MESSAGE_TYPES.get(tag)
    return cls is not None and issubclass(cls, Request)


def _positive_int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


__all__ = ["ProtocolError", "decode", "encode"]
