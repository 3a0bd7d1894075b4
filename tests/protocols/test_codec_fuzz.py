"""Property tests of the TDP/1 codec: "parse or raise the protocol error, nothing else".

Valid messages come from tests/protocols/strategies.py (derived from the msgspec type info, so every
message class is covered); hostile input is arbitrary bytes and text, cut and mutated valid messages,
and JSON objects built member by member with valid or invalid tags, raw bytes and deep nesting.
The coverage-guided counterpart is fuzz/fuzz_codec.py (atheris).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocols.codec import ProtocolError, decode, encode
from protocols.constants import MAX_MESSAGE_BYTES, ErrorCode
from protocols.messages import MESSAGE_TYPES, Message, Request, tag_of
from tests.protocols.strategies import MESSAGE_CLASSES, REQUEST_TAGS, json_values, messages, messages_of, text

#: Codes the codec itself may produce; every other code is the business of the session and the platform.
CODEC_CODES = {ErrorCode.BAD_MESSAGE, ErrorCode.TOO_LARGE, ErrorCode.UNKNOWN_TYPE}

FAST = settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])


def decode_or_protocol_error(data: bytes | str) -> Message | ProtocolError:
    """The invariant: decode returns a message or raises ProtocolError with a codec code; anything else fails.

    An accepted message must also survive re-encoding: decode may not hand out values encode cannot
    write (NaN, lone surrogates, non-string keys).
    """
    try:
        message = decode(data)
    except ProtocolError as error:
        assert error.code in CODEC_CODES, error
        assert error.re is None or (type(error.re) is int and error.re > 0), error
        return error
    assert isinstance(message, Message)
    try:
        again = encode(message)
    except ProtocolError as error:  # only growth past the byte limit (e.g. 1e5 rewritten as 100000.0)
        assert error.code is ErrorCode.TOO_LARGE
        return message
    assert decode(again) == message
    return message


# ----- (a) round trips -----------------------------------------------------------------------------


@pytest.mark.parametrize("cls", MESSAGE_CLASSES, ids=tag_of)
@settings(deadline=None, max_examples=12)
@given(data=st.data())
def test_every_message_class_round_trips(cls: type[Message], data: st.DataObject) -> None:
    message = data.draw(messages_of(cls))
    encoded = encode(message)
    assert len(encoded) <= MAX_MESSAGE_BYTES
    assert decode(encoded) == message
    assert decode(encoded.decode("utf-8")) == message
    assert json.loads(encoded)["t"] == tag_of(cls)


# ----- (b) arbitrary input -------------------------------------------------------------------------


@settings(deadline=None, max_examples=1000)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_decode_or_raise_protocol_error(data: bytes) -> None:
    decode_or_protocol_error(data)


@settings(deadline=None, max_examples=500)
@given(st.text(max_size=200))  # includes lone surrogates
def test_arbitrary_text_decodes_or_raises_protocol_error(data: str) -> None:
    decode_or_protocol_error(data)


# ----- (c) cut and mutated valid messages --------------------------------------------------------

#: Bytes that matter to JSON and UTF-8, tried at every position of a valid message.
INTERESTING = b'"\\{}[],:0-e.tn \x00\x7f\x80\xc0\xed\xff'


@FAST
@given(messages())
def test_every_prefix_of_a_valid_message_is_bad_message_and_every_suffix_is_handled(message: Message) -> None:
    data = encode(message)
    for cut in range(len(data)):
        head = decode_or_protocol_error(data[:cut])
        # a JSON object is not complete before its closing brace: a stream's first half never parses
        assert isinstance(head, ProtocolError)
        assert head.code is ErrorCode.BAD_MESSAGE
        decode_or_protocol_error(data[cut:])


@FAST
@given(messages(), st.lists(st.integers(0, 255), min_size=1, max_size=3))
def test_every_single_byte_mutation_of_a_valid_message_is_handled(message: Message, extra: list[int]) -> None:
    data = encode(message)
    replacements = set(INTERESTING) | set(extra)
    for at in range(len(data)):
        for byte in replacements:
            decode_or_protocol_error(data[:at] + bytes([byte]) + data[at + 1 :])
        decode_or_protocol_error(data[:at] + data[at + 1 :])  # deletion


@FAST
@given(messages(), st.lists(st.tuples(text, json_values(max_leaves=4)), max_size=3))
def test_unknown_members_added_to_a_valid_message_change_nothing(
    message: Message, extras: list[tuple[str, Any]]
) -> None:
    fields = set(type(message).__struct_fields__) | {"t"}
    document = json.loads(encode(message))
    for key, value in extras:
        if key not in fields:
            document[key] = value
    assert decode(json.dumps(document, ensure_ascii=False)) == message


# ----- (d) JSON-structured fuzz ----------------------------------------------------------------------

ALL_FIELD_NAMES = sorted({name for cls in MESSAGE_CLASSES for name in cls.__struct_fields__})

def _wire(value: Any) -> bytes:
    """A JSON value as UTF-8 bytes, non-ASCII text unescaped as a peer may send it."""
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


#: A string of raw bytes, possibly invalid UTF-8 (quotes and backslashes left out to keep it one string).
raw_strings = (
    st.binary(max_size=12).filter(lambda b: b'"' not in b and b"\\" not in b).map(lambda b: b'"' + b + b'"')
)

tags = st.one_of(
    st.sampled_from(sorted(MESSAGE_TYPES)),  # a valid tag, most of the time with wrong members
    text,  # an unknown tag
    json_values(max_leaves=3),  # not a string at all
).map(_wire) | raw_strings
ids = st.one_of(
    st.integers(1, 2**63 - 1), st.integers(-5, 0), st.integers(2**63, 2**70), json_values(max_leaves=2)
).map(lambda value: json.dumps(value).encode()) | raw_strings


def _as_read(raw: bytes) -> Any:
    """What a member's raw value reads as, or the raw bytes themselves when they are not valid JSON."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw


#: A member value as it appears on the wire: valid JSON, a string of raw (possibly invalid UTF-8) bytes,
#: very deep nesting, or a long number.
raw_values = st.one_of(
    json_values(max_leaves=8).map(_wire),
    raw_strings,
    st.integers(1, 20_000).map(lambda depth: b"[" * depth + b"]" * depth),
    st.integers(1, 5000).map(lambda digits: b"9" * digits),
    st.sampled_from([b"NaN", b"Infinity", b"-Infinity", b"1e400", b"-0", b"1E2", b"0.0"]),
)

#: Keys other than `t` and `id` (those two are drawn on their own so that the test knows their values).
member_keys = st.one_of(st.sampled_from(ALL_FIELD_NAMES), text).filter(lambda key: key not in {"t", "id"})


@st.composite
def json_objects(draw: st.DrawFn) -> tuple[bytes, list[Any], list[Any]]:
    """A JSON object as bytes, member by member (duplicates allowed), with the `t` and `id` values used."""
    members: list[tuple[bytes, bytes]] = []
    tag_values: list[Any] = []
    id_values: list[Any] = []
    for _ in range(draw(st.integers(0, 2))):
        tag = draw(tags)
        tag_values.append(_as_read(tag))
        members.append((b'"t"', tag))
    if draw(st.booleans()):
        request_id = draw(ids)
        id_values.append(_as_read(request_id))
        members.append((b'"id"', request_id))
    for _ in range(draw(st.integers(0, 6))):
        key = _wire(draw(member_keys))
        members.append((key, draw(raw_values)))
    order = draw(st.permutations(range(len(members))))
    body = b",".join(members[i][0] + b":" + members[i][1] for i in order)
    return b"{" + body + b"}", tag_values, id_values


@settings(deadline=None, max_examples=1200)
@given(json_objects())
def test_json_objects_with_any_members_decode_or_raise_protocol_error(
    case: tuple[bytes, list[Any], list[Any]],
) -> None:
    data, tag_values, id_values = case
    outcome = decode_or_protocol_error(data)
    if isinstance(outcome, Message):
        assert tag_of(outcome) in tag_values
        return
    if outcome.code is ErrorCode.UNKNOWN_TYPE:
        assert any(isinstance(tag, str) and tag not in MESSAGE_TYPES for tag in tag_values)
    if outcome.re is not None:
        # recovered from the message itself, and only where an answer is due: requests and unknown types
        assert outcome.re in id_values
        assert outcome.code is ErrorCode.UNKNOWN_TYPE or any(tag in REQUEST_TAGS for tag in tag_values)


@settings(deadline=None, max_examples=300)
@given(json_values(max_leaves=20), st.one_of(st.sampled_from(sorted(MESSAGE_TYPES)), text))
def test_arbitrary_json_values_under_a_tag_decode_or_raise_protocol_error(value: Any, tag: str) -> None:
    document = {**value, "t": tag} if isinstance(value, dict) else {"payload": value, "t": tag}
    decode_or_protocol_error(json.dumps(document))
    decode_or_protocol_error(json.dumps(value))  # and the bare value


@settings(deadline=None, max_examples=200)
@given(messages())
def test_a_request_made_invalid_is_answered_with_its_id(message: Message) -> None:
    document = json.loads(encode(message))
    document["epoch"] = "not a number"
    error = decode_or_protocol_error(json.dumps(document))
    assert isinstance(error, ProtocolError)
    assert error.code is ErrorCode.BAD_MESSAGE
    assert error.re == (message.id if isinstance(message, Request) else None)
