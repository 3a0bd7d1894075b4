"""The line clock in the welcome (SPEC.md §3.5.9, §5.1.2): its encoding, its bounds, the SPEC's tables against
`protocols/messages.py`, and the testbed's service clock as it tells it (and as `trunkdesk platform --line-clock`
reads it)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from protocols.codec import ProtocolError, decode, encode
from protocols.messages import LineClock, Welcome
from testbed.cli import add_platform_arguments, run_platform
from testbed.terminals.service import ServiceClock

SPEC = Path(__file__).resolve().parents[2] / "protocols" / "SPEC.md"


def welcome(**fields: object) -> Welcome:
    return Welcome(re=1, version=1, session="s", resume_token="r", instance="A", role="active", heartbeat_ms=250,
                   loss_threshold=3, **fields)  # type: ignore[arg-type]


def test_a_welcome_carries_the_line_clock_and_leaves_it_out_when_there_is_none() -> None:
    told = welcome(line_clock=LineClock(at_ms=1_754_380_800_000, service_s=21_600.0, rate=10.0))
    data = encode(told)
    assert b'"line_clock":{"at_ms":1754380800000,"service_s":21600.0,"rate":10.0}' in data
    assert decode(data) == told
    assert b"line_clock" not in encode(welcome())
    assert decode(encode(welcome())).line_clock is None  # type: ignore[attr-defined]


def test_service_time_at_a_wall_time() -> None:
    clock = LineClock(at_ms=1_000_500, service_s=3600.0, rate=10.0)
    assert clock.at(1000.5) == 3600.0
    assert clock.at(1002.5) == 3620.0
    assert LineClock(at_ms=0, service_s=5.0).rate == 1.0


@pytest.mark.parametrize("member", ['"rate":0', '"rate":-1', '"rate":1e9', '"service_s":1e999', '"rate":"fast"'])
def test_a_line_clock_out_of_range_makes_the_welcome_invalid(member: str) -> None:
    clock = {"at_ms": 1, "service_s": 1.0, "rate": 1.0}
    name = member.split(":", maxsplit=1)[0].strip('"')
    body = ",".join(f'"{k}":{v}' for k, v in clock.items() if k != name)
    data = ('{"t":"welcome","re":1,"version":1,"session":"s","resume_token":"r","instance":"A","role":"active",'
            f'"heartbeat_ms":250,"loss_threshold":3,"line_clock":{{{body},{member}}}}}')
    with pytest.raises(ProtocolError) as info:
        decode(data)
    assert info.value.code == 400 and "line_clock" in info.value.reason


def spec_fields(heading: str) -> list[str]:
    """The field names of the first table under the SPEC heading that starts with ``heading``."""
    text = SPEC.read_text(encoding="utf-8")
    start = next(m.end() for m in re.finditer(r"^#{3,4} (.*)$", text, re.M) if m.group(1).startswith(heading))
    table = text[start:].split("\n\n| field |", 1)[1].split("\n\n", 1)[0]
    return re.findall(r"^\| `(\w+)` \|", table, re.M)


@pytest.mark.parametrize(("heading", "cls"), [("3.5.9 `LineClock`", LineClock), ("5.1.2 `welcome`", Welcome)])
def test_the_spec_lists_exactly_the_fields_of_the_message(heading: str, cls: type) -> None:
    common = {"epoch", "re"}  # the envelope's members (§3.1, §3.3)
    assert spec_fields(heading) == [f for f in cls.__struct_fields__ if f not in common]


def test_the_testbeds_service_clock_as_the_platform_tells_it() -> None:
    service = ServiceClock(start=1_700_000_000.1234, speed=10.0, offset=3520.0)
    told = service.to_wire()
    assert told.at_ms == 1_700_000_000_123 and told.rate == 10.0
    for wall in (service.start, service.start + 37.5, service.start + 7200):
        assert told.at(wall) == pytest.approx(service.at(wall), abs=1e-6)
    assert ServiceClock.parse(service.text()) == ServiceClock(start=1_700_000_000.123, speed=10.0, offset=3520.0)
    assert ServiceClock.parse("1,2,3") == ServiceClock(start=1.0, speed=2.0, offset=3.0)


@pytest.mark.parametrize("text", ["", "1 2", "1 2 3 4", "a b c", "1 0 3", "1 nan 3", "inf 1 1"])
def test_a_bad_service_clock_text_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"(service clock|speed must be positive)"):
        ServiceClock.parse(text)


async def test_trunkdesk_platform_refuses_a_bad_line_clock_and_starts_nothing(
        capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    add_platform_arguments(parser)
    code = await run_platform(parser.parse_args(["--port", "0", "--line-clock", "soon 10 3600"]))
    assert code == 2
    err = capsys.readouterr().err
    assert "--line-clock" in err and "START SPEED OFFSET" in err
