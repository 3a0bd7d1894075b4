"""Examples of the TDP/1 codec: the wire form, and the protocol error every kind of bad input gets.

Round trips of every message class are in test_codec_fuzz.py (generated from the type info).
"""

from __future__ import annotations

import json

import pytest

from protocols.codec import ProtocolError, decode, encode
from protocols.constants import MAX_MESSAGE_BYTES, MAX_SDP_CHARS, MAX_TEXT_CHARS, ErrorCode
from protocols.messages import (
    MESSAGE_TYPES,
    AnyMessage,
    Bye,
    FloorRequest,
    Location,
    LocationReport,
    MediaOffer,
    Ok,
    Ping,
    PisPush,
    PresenceUpdate,
    Request,
    TerminalInfo,
    TextMessage,
    TextSend,
    tag_of,
)
from tests.protocols.strategies import MESSAGE_CLASSES, REQUEST_TAGS


def refused(data: bytes | str) -> ProtocolError:
    """Decode input that must be refused, and return the protocol error it got."""
    with pytest.raises(ProtocolError) as caught:
        decode(data)
    return caught.value


HELLO_FIELDS = '"versions":[1],"role":"console","ident":"desk-1"'


# ----- wire form and round trips -------------------------------------------------------------------


def test_every_union_member_is_registered_under_its_tag() -> None:
    members = AnyMessage.__args__
    assert len(MESSAGE_TYPES) == len(members) == len(MESSAGE_CLASSES)
    for tag, cls in MESSAGE_TYPES.items():
        assert tag_of(cls) == tag


def test_floor_request_wire_form_puts_the_tag_first_and_omits_defaults() -> None:
    data = encode(FloorRequest(id=7, call="c1", epoch=3))
    assert data == b'{"t":"floor.request","epoch":3,"id":7,"call":"c1"}'
    assert decode(data) == FloorRequest(id=7, call="c1", epoch=3)


def test_presence_update_with_chinese_name_round_trips_as_utf8() -> None:
    message = PresenceUpdate(
        epoch=4,
        terminal=TerminalInfo(
            id="T0512", kind="train", name_zh="列车0512", presence="registered", groups=["line"]
        ),
    )
    data = encode(message)
    assert "列车0512".encode() in data  # raw UTF-8, not \u escapes
    assert decode(data) == message
    assert decode(data.decode("utf-8")) == message  # a text frame arrives as str


def test_location_report_round_trips_and_matches_plain_json() -> None:
    message = LocationReport(
        location=Location(station="S05", next_station="S06", chainage_m=1234.5, direction="up"), fix_ms=1
    )
    data = encode(message)
    assert json.loads(data) == {
        "t": "location.report",
        "location": {"station": "S05", "next_station": "S06", "chainage_m": 1234.5, "direction": "up"},
        "fix_ms": 1,
    }
    assert decode(data) == message


def test_whitespace_around_and_inside_the_object_is_accepted() -> None:
    assert decode(b' \n\t{ "t" : "ping" , "seq" : 3 }\r\n ') == Ping(seq=3)


def test_an_integer_in_a_float_field_decodes_as_float() -> None:
    message = decode(b'{"t":"location.report","location":{"chainage_m":12}}')
    assert isinstance(message, LocationReport)
    assert message.location.chainage_m == 12.0
    assert isinstance(message.location.chainage_m, float)


# ----- 400: malformed ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [b"", b"   ", b'{"t":"ping",', b'{"t":"ping","seq":1', b"{'t':'ping'}", b'{"t":"ping","seq":1} x',
     b'{"t":"ping","seq":01}', b'{"t":"ping","seq":1,}', b"\xef\xbb\xbf{}"],
    ids=["empty", "blank", "cut-after-comma", "unclosed", "single-quotes", "trailing-garbage",
         "leading-zero", "trailing-comma", "utf8-bom"],
)
def test_malformed_json_is_bad_message(data: bytes) -> None:
    error = refused(data)
    assert error.code is ErrorCode.BAD_MESSAGE
    assert error.re is None


@pytest.mark.parametrize("data", [b"[1,2]", b'"ping"', b"42", b"null", b"true", b'[{"t":"ping","seq":1}]'])
def test_a_json_value_that_is_not_an_object_is_bad_message(data: bytes) -> None:
    assert refused(data).code is ErrorCode.BAD_MESSAGE


@pytest.mark.parametrize("data", [b"{}", b'{"seq":1}', b'{"id":5,"call":"c1"}'])
def test_missing_t_is_bad_message(data: bytes) -> None:
    error = refused(data)
    assert error.code is ErrorCode.BAD_MESSAGE
    assert error.re is None


@pytest.mark.parametrize(
    "data", [b'{"t":5,"id":5}', b'{"t":null,"id":5}', b'{"t":["ping"]}', b'{"t":{"a":1}}']
)
def test_a_t_that_is_not_a_string_is_bad_message(data: bytes) -> None:
    error = refused(data)
    assert error.code is ErrorCode.BAD_MESSAGE
    assert error.re is None


@pytest.mark.parametrize(
    "data",
    [b'{"t":"ping","seq":"1"}', b'{"t":"ping","seq":1.5}', b'{"t":"ping","seq":true}',
     b'{"t":"ping","seq":null}',
     b'{"t":"ping","seq":1,"epoch":"3"}', b'{"t":"location.report","location":[]}',
     b'{"t":"presence","terminal":{"id":"T1","kind":"bicycle"}}'],
    ids=["str-for-int", "float-for-int", "bool-for-int", "null-for-int", "str-epoch", "list-for-struct",
         "literal-outside-set"],
)
def test_a_wrong_field_type_in_a_notification_is_bad_message_without_re(data: bytes) -> None:
    error = refused(data)
    assert error.code is ErrorCode.BAD_MESSAGE
    assert error.re is None


def test_a_wrong_field_type_in_a_request_is_answered_to_that_request() -> None:
    error = refused(b'{"t":"floor.request","id":9,"call":5}')
    assert (error.code, error.re) == (ErrorCode.BAD_MESSAGE, 9)
    assert "floor.request" in error.reason


def test_a_missing_required_field_in_a_request_is_answered_to_that_request() -> None:
    error = refused(b'{"t":"hello","id":1,"role":"console","ident":"desk-1"}')
    assert (error.code, error.re) == (ErrorCode.BAD_MESSAGE, 1)
    assert "versions" in error.reason


@pytest.mark.parametrize("request_id", [0, -1, -(2**63)])
def test_a_request_id_not_positive_is_bad_message_without_re(request_id: int) -> None:
    error = refused(f'{{"t":"floor.release","id":{request_id},"call":"c1"}}')
    assert (error.code, error.re) == (ErrorCode.BAD_MESSAGE, None)


def test_a_request_without_id_is_bad_message() -> None:
    assert refused(b'{"t":"floor.release","call":"c1"}').code is ErrorCode.BAD_MESSAGE


def test_a_negative_epoch_is_bad_message_answered_to_the_request() -> None:
    error = refused(f'{{"t":"hello","id":4,"epoch":-1,{HELLO_FIELDS}}}')
    assert (error.code, error.re) == (ErrorCode.BAD_MESSAGE, 4)
    assert "epoch" in error.reason
    notification = refused(b'{"t":"ping","seq":1,"epoch":-1}')
    assert (notification.code, notification.re) == (ErrorCode.BAD_MESSAGE, None)


# ----- 413: too large ------------------------------------------------------------------------------


def test_a_message_over_the_byte_limit_is_too_large_and_answered_to_the_request() -> None:
    data = json.dumps({"t": "text.send", "id": 31, "text": "x" * MAX_MESSAGE_BYTES, "to": "T1"}).encode()
    error = refused(data)
    assert (error.code, error.re) == (ErrorCode.TOO_LARGE, 31)


def test_an_oversized_notification_is_too_large_without_re() -> None:
    error = refused(json.dumps({"t": "bye", "id": 31, "reason": "x" * MAX_MESSAGE_BYTES}))
    assert (error.code, error.re) == (ErrorCode.TOO_LARGE, None)


def test_the_limit_counts_utf8_bytes_not_characters() -> None:
    # 30,000 CJK characters: under the limit in characters, 90,000 bytes on the wire
    text = json.dumps({"t": "bye", "reason": "站" * 30_000}, ensure_ascii=False)
    assert len(text) < MAX_MESSAGE_BYTES < len(text.encode())
    assert refused(text).code is ErrorCode.TOO_LARGE


def test_a_message_of_exactly_the_byte_limit_is_accepted() -> None:
    overhead = len(b'{"t":"bye","reason":""}')
    message = Bye(reason="x" * (MAX_MESSAGE_BYTES - overhead))
    data = encode(message)
    assert len(data) == MAX_MESSAGE_BYTES
    assert decode(data) == message


def test_encode_refuses_a_message_over_the_byte_limit() -> None:
    with pytest.raises(ProtocolError) as caught:
        encode(Bye(reason="x" * MAX_MESSAGE_BYTES))
    assert caught.value.code is ErrorCode.TOO_LARGE


def test_text_at_its_limit_is_accepted_and_one_more_character_is_too_large() -> None:
    at_limit = TextSend(id=2, text="字" * MAX_TEXT_CHARS, group="g1")
    assert decode(encode(at_limit)) == at_limit
    error = refused(encode(TextSend(id=2, text="字" * (MAX_TEXT_CHARS + 1), group="g1")))
    assert (error.code, error.re) == (ErrorCode.TOO_LARGE, 2)
    assert "text" in error.reason


def test_pis_english_text_over_its_limit_is_too_large() -> None:
    error = refused(encode(PisPush(id=5, text="列车晚点", text_en="x" * (MAX_TEXT_CHARS + 1))))
    assert (error.code, error.re) == (ErrorCode.TOO_LARGE, 5)
    assert "text_en" in error.reason


def test_sdp_at_its_limit_is_accepted_and_one_more_character_is_too_large() -> None:
    at_limit = MediaOffer(session="m1", sdp="v" * MAX_SDP_CHARS)
    assert decode(encode(at_limit)) == at_limit
    error = refused(encode(MediaOffer(session="m1", sdp="v" * (MAX_SDP_CHARS + 1))))
    assert (error.code, error.re) == (ErrorCode.TOO_LARGE, None)


def test_text_of_a_notification_has_no_codec_limit() -> None:
    # TextMessage is relayed by the platform after TextSend passed the limit; only the byte limit applies
    message = TextMessage(message="m1", sender="T1", text="x" * (MAX_TEXT_CHARS + 1))
    assert decode(encode(message)) == message


# ----- 415: unknown type ---------------------------------------------------------------------------


def test_an_unknown_type_is_415_with_the_request_id_recovered() -> None:
    error = refused(b'{"t":"floor.grab","id":12,"call":"c1"}')
    assert (error.code, error.re) == (ErrorCode.UNKNOWN_TYPE, 12)
    assert "floor.grab" in error.reason


@pytest.mark.parametrize("member", ['"id":"12"', '"id":0', '"id":-3', '"id":1.0', '"id":true', '"seq":12'])
def test_an_unknown_type_without_a_positive_integer_id_has_no_re(member: str) -> None:
    error = refused(f'{{"t":"Ping",{member}}}')  # tags are case-sensitive
    assert (error.code, error.re) == (ErrorCode.UNKNOWN_TYPE, None)


def test_an_unknown_type_reason_is_bounded() -> None:
    error = refused(json.dumps({"t": "x" * 10_000, "id": 1}))
    assert error.code is ErrorCode.UNKNOWN_TYPE
    assert len(error.reason) < 200


# ----- `re` is recovered for requests only ---------------------------------------------------------


@pytest.mark.parametrize("tag", REQUEST_TAGS)
def test_every_request_type_gets_its_id_back_when_invalid(tag: str) -> None:
    error = refused(json.dumps({"t": tag, "id": 77, "epoch": "not a number"}))
    assert (error.code, error.re) == (ErrorCode.BAD_MESSAGE, 77)


@pytest.mark.parametrize("tag", sorted(set(MESSAGE_TYPES) - set(REQUEST_TAGS)))
def test_answers_and_notifications_get_no_re_when_invalid(tag: str) -> None:
    error = refused(json.dumps({"t": tag, "id": 77, "re": 77, "epoch": "not a number"}))
    assert (error.code, error.re) == (ErrorCode.BAD_MESSAGE, None)


# ----- hostile input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [b'{"t":"bye","reason":"\xff"}', b'{"t":"bye","reason":"\xc0\xaf"}',
     b'{"t":"bye","reason":"\xed\xa0\x80"}', b'{"t":"bye","reason":"\xe5\x88"}', b"\xff\xfe{}",
     b'{"t":"\xff"}', b'{"t":"floor.release","id":1,"call":"\x80"}'],
    ids=["ff", "overlong", "encoded-surrogate", "cut-sequence", "utf16-bom", "in-tag", "in-request"],
)
def test_invalid_utf8_is_bad_message(data: bytes) -> None:
    assert refused(data).code is ErrorCode.BAD_MESSAGE


@pytest.mark.parametrize(
    "data",
    [b'{"t":"ping","seq":"x","t":"\xed\xa0\x80"}', b'{"t":"ping","seq":"x","id":"\xc0\xaf"}',
     b'{"t":"floor.release","id":1,"call":2,"id":"\xff"}'],
)
def test_invalid_utf8_after_a_type_error_is_bad_message(data: bytes) -> None:
    # regression: the second look for `t` and `id` used to let UnicodeDecodeError escape
    assert refused(data).code is ErrorCode.BAD_MESSAGE


def test_invalid_utf8_in_an_oversized_message_is_too_large() -> None:
    data = b'{"t":"text.send","id":3,"text":"' + b"a" * MAX_MESSAGE_BYTES + b'","t":"\xc0\xaf"}'
    assert refused(data).code is ErrorCode.TOO_LARGE


@pytest.mark.parametrize(
    "text", ["\ud800", '{"t":"bye","reason":"\udc00"}', '{"t":"bye","reason":"a\ud83d"}']
)
def test_str_with_lone_surrogates_is_bad_message(text: str) -> None:
    assert refused(text).code is ErrorCode.BAD_MESSAGE


@pytest.mark.parametrize("escape", [b"\\ud800", b"\\udc00x", b"\\ud800\\u0041"])
def test_escaped_lone_surrogates_are_bad_message(escape: bytes) -> None:
    assert refused(b'{"t":"bye","reason":"' + escape + b'"}').code is ErrorCode.BAD_MESSAGE


def test_an_escaped_surrogate_pair_is_one_character() -> None:
    assert decode(b'{"t":"bye","reason":"\\ud83d\\ude86"}') == Bye(reason="🚆")


def test_100000_open_brackets_are_a_protocol_error_not_recursion_error() -> None:
    assert refused(b"[" * 100_000).code is ErrorCode.TOO_LARGE


@pytest.mark.parametrize(
    "data",
    [b"[" * 60_000, b"[" * 30_000 + b"]" * 30_000, b'{"a":' * 12_000,
     b'{"t":"ok","result":{"a":' + b"[" * 30_000 + b"]" * 30_000 + b"}}"],
    ids=["unclosed", "closed", "objects", "in-result"],
)
def test_deep_nesting_under_the_byte_limit_is_bad_message(data: bytes) -> None:
    assert refused(data).code is ErrorCode.BAD_MESSAGE


@pytest.mark.parametrize("seq", [b"1", b'"x"'], ids=["valid-otherwise", "type-error-first"])
def test_deep_nesting_in_an_unknown_member_is_bad_message(seq: bytes) -> None:
    # regression: skipping the member on the second look for `t` and `id` raised RecursionError
    data = b'{"t":"ping","seq":' + seq + b',"x":' + b"[" * 30_000 + b"]" * 30_000 + b"}"
    assert refused(data).code is ErrorCode.BAD_MESSAGE


def test_deep_nesting_in_an_oversized_request_is_too_large() -> None:
    # regression: the best-effort id lookup of an oversized message raised RecursionError
    data = b'{"t":"text.send","id":3,"x":' + b"[" * 40_000 + b"]" * 40_000 + b"}"
    assert refused(data).code is ErrorCode.TOO_LARGE


def test_a_huge_integer_is_kept_exactly_or_refused_never_rounded() -> None:
    # msgspec reads integers past 64 bits as Python ints; what matters is that none turns into a float
    big = 10**40 + 1
    message = decode(f'{{"t":"ping","seq":{big}}}')
    assert message == Ping(seq=big)
    assert decode(encode(message)) == message
    result = decode(f'{{"t":"ok","re":1,"result":{{"n":{big},"m":-{big}}}}}')
    assert isinstance(result, Ok)
    assert result.result == {"n": big, "m": -big}


@pytest.mark.parametrize(
    "template",
    ['{{"t":"ping","seq":{n}}}', '{{"t":"ok","result":{{"n":{n}}}}}',
     '{{"t":"floor.release","id":{n},"call":"c1"}}'],
    ids=["int-field", "any-field", "request-id"],
)
def test_an_integer_of_thousands_of_digits_is_bad_message(template: str) -> None:
    assert refused(template.format(n="9" * 5000)).code is ErrorCode.BAD_MESSAGE


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "nan", "inf", "1e400", "-1e400"])
def test_nan_and_infinity_are_bad_message(literal: str) -> None:
    error = refused(f'{{"t":"location.report","location":{{"chainage_m":{literal}}}}}')
    assert error.code is ErrorCode.BAD_MESSAGE
    assert refused(f'{{"t":"ok","result":{{"x":{literal}}}}}').code is ErrorCode.BAD_MESSAGE


def test_duplicate_keys_the_last_value_wins() -> None:
    assert decode(b'{"t":"ping","seq":1,"seq":2}') == Ping(seq=2)
    result = decode(b'{"t":"ok","result":{"a":1,"a":2}}')
    assert isinstance(result, Ok)
    assert result.result == {"a": 2}


def test_a_repeated_identical_tag_is_accepted() -> None:
    assert decode(b'{"t":"ping","t":"ping","seq":1}') == Ping(seq=1)


def test_a_second_conflicting_tag_is_bad_message() -> None:
    error = refused(b'{"t":"floor.release","id":6,"call":"c1","t":"floor.request"}')
    assert error.code is ErrorCode.BAD_MESSAGE


def test_duplicate_request_ids_are_decoded_with_the_last_one() -> None:
    message = decode(b'{"t":"floor.release","id":1,"id":2,"call":"c1"}')
    assert isinstance(message, Request)
    assert message.id == 2


# ----- forward compatibility ---------------------------------------------------------------------


def test_unknown_members_are_ignored_at_every_level() -> None:
    data = json.dumps({
        "t": "presence",
        "v2_priority": {"nested": [1, 2, {"deep": None}]},
        "terminal": {
            "id": "T1", "kind": "handset", "battery": 87, "location": {"station": "S01", "floor": -2}
        },
    })
    assert decode(data) == PresenceUpdate(
        terminal=TerminalInfo(id="T1", kind="handset", location=Location(station="S01"))
    )


def test_unknown_members_are_ignored_in_requests() -> None:
    message = decode(f'{{"t":"hello","id":1,{HELLO_FIELDS},"capabilities":["v2"],"agent":"x"}}')
    assert isinstance(message, Request)
    assert message.id == 1


def test_a_message_from_a_newer_peer_with_members_in_any_order_decodes() -> None:
    data = b'{"new":1,"call":"c1","id":3,"epoch":2,"t":"floor.release"}'  # tag last
    decoded = decode(data)
    assert isinstance(decoded, Request)
    assert (tag_of(decoded), decoded.id, decoded.epoch) == ("floor.release", 3, 2)


# ----- ProtocolError itself ------------------------------------------------------------------------


def test_protocol_error_names_its_code_and_reason() -> None:
    reason = "text longer than 1000 characters"
    error = ProtocolError(ErrorCode.TOO_LARGE, reason, 5)
    assert str(error) == f"413 too_large: {reason}"
    assert (error.code, error.reason, error.re) == (ErrorCode.TOO_LARGE, reason, 5)
