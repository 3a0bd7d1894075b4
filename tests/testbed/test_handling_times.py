"""The platform's own request timing (`--handling-times`), over real loopback sockets with real clients.

What the bench relies on: every answered request is stamped read ≤ taken ≤ answered ≤ written, all inside the
round trip the client saw; requests are told apart by kind and outcome; the CLI writes the histograms on stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import msgspec
import pytest
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from protocols.aio.client import TrunkingClient
from protocols.aio.request_timing import RequestStamps
from protocols.codec import decode, encode
from protocols.constants import SUBPROTOCOL
from protocols.messages import Error, FloorRequest, Hello, Message, Ok, Request, StatusSet, Welcome
from testbed.line import SAMPLE_TERMINAL_SECRET, default_line_path, load_line
from testbed.platform.handling_times import HandlingTimes, load, percentile_us, request_key
from testbed.platform.server import PlatformServer

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


class KeptTimes(HandlingTimes):
    """The histograms, plus every (key, stamps) for the test to compare with the client's clock."""

    def __init__(self) -> None:
        super().__init__()
        self.kept: list[tuple[str, RequestStamps]] = []

    def answered(self, request: Request, answer: Ok | Error, stamps: RequestStamps) -> None:
        self.kept.append((request_key(request, answer), stamps))
        super().answered(request, answer, stamps)


def _hello(ident: str) -> Hello:
    return Hello(id=0, versions=[1], role="terminal", ident=ident, terminal_kind="handset",
                 secret=SAMPLE_TERMINAL_SECRET)


@pytest.fixture
async def timed() -> AsyncIterator[tuple[PlatformServer, KeptTimes]]:
    times = KeptTimes()
    server = PlatformServer(load_line(default_line_path()), port=0, request_times=times)
    await server.start()
    try:
        yield server, times
    finally:
        await server.stop()


async def _kept(times: KeptTimes, key: str, count: int) -> list[RequestStamps]:
    """The stamps of ``key`` once ``count`` were reported (the writer reports just after the client may read)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5.0
    while len(found := [s for k, s in times.kept if k == key]) < count:
        assert loop.time() < deadline, f"{key}: {len(found)} of {count} reported; kept {times.kept}"
        await asyncio.sleep(0.01)
    return found


async def test_each_answered_request_is_stamped_inside_the_clients_round_trip(
        timed: tuple[PlatformServer, KeptTimes]) -> None:
    server, times = timed
    loop = asyncio.get_running_loop()
    talker = await TrunkingClient.connect(server.url, _hello("HS-001"))
    waiting = await TrunkingClient.connect(server.url, _hello("HS-002"))
    try:
        sent = loop.time()
        first = await talker.request(FloorRequest(id=0, group="TG-S01", key="t1"))
        back = loop.time()
        assert first.result["outcome"] == "granted"
        queued = await waiting.request(FloorRequest(id=0, call=first.result["call"], key="w1"))
        assert queued.result["outcome"] == "queued"
        status = await waiting.request(StatusSet(id=0, status=2))
        assert isinstance(status, Ok)

        [granted] = await _kept(times, "floor.request granted", 1)
        # one clock (loop.time() is the monotonic clock in both), so the platform's stamps must sit inside
        # the round trip the client measured, in order
        assert sent <= granted.read <= granted.taken <= granted.answered <= granted.written <= back
        await _kept(times, "floor.request queued", 1)
        await _kept(times, "status.set", 1)
    finally:
        await talker.close()
        await waiting.close()

    spans = times.histograms["floor.request granted"]
    assert sum(spans["total"].values()) == 1
    [total] = spans["total"]
    parts = sum(next(iter(spans[name])) for name in ("wait", "handle", "write"))
    assert abs(total - parts) <= 2  # the spans add up to the total (each rounded to 1 µs)
    assert times.count("floor.request queued") == 1 and times.count("status.set") == 1


async def test_requests_completed_by_one_read_share_its_stamp_and_one_write(
        timed: tuple[PlatformServer, KeptTimes]) -> None:
    server, times = timed
    async with connect(server.url, subprotocols=[Subprotocol(SUBPROTOCOL)]) as ws:
        await ws.send(encode(msgspec.structs.replace(_hello("HS-004"), id=1)).decode())
        assert isinstance(decode(await ws.recv()), Welcome)
        # two requests in one TCP segment: the platform reads them at once
        ws.protocol.send_text(encode(StatusSet(id=2, status=2)))
        ws.protocol.send_text(encode(StatusSet(id=3, status=3)))
        ws.transport.write(b"".join(ws.protocol.data_to_send()))
        answers: dict[int | None, Message] = {}
        while len(answers) < 2:
            message = decode(await ws.recv())
            if isinstance(message, Ok):
                answers[message.re] = message
        assert set(answers) == {2, 3}
    first, second = await _kept(times, "status.set", 2)
    assert first.read == second.read  # both messages completed by the same data_received
    assert first.read <= first.taken <= first.answered <= second.taken <= second.answered
    assert first.written == second.written >= second.answered  # both answers went out in one write


async def test_an_untimed_platform_takes_no_stamps() -> None:
    server = PlatformServer(load_line(default_line_path()), port=0)
    await server.start()
    client = await TrunkingClient.connect(server.url, _hello("HS-001"))
    try:
        [conn] = server.server.connections
        assert server.server.request_times is None
        assert (await client.request(FloorRequest(id=0, group="TG-S01", key="u1"))).result["outcome"] == "granted"
        assert not conn._marks and conn.read_at == 0.0  # no read ever stamped
    finally:
        await client.close()
        await server.stop()


def test_percentiles_of_a_microsecond_histogram_are_nearest_rank() -> None:
    histogram = Counter({100: 98, 900: 1, 5000: 1})
    assert percentile_us(histogram, 50) == 100
    assert percentile_us(histogram, 98) == 100
    assert percentile_us(histogram, 99) == 900
    assert percentile_us(histogram, 100) == 5000
    assert percentile_us(Counter(), 50) != percentile_us(Counter(), 50)  # nan


def test_load_refuses_a_file_of_another_kind(tmp_path: Path) -> None:
    other = tmp_path / "other.json"
    other.write_text('{"format": "something else", "requests": {}}', encoding="utf-8")
    with pytest.raises(ValueError, match="not a handling-times file"):
        load(other)


async def test_the_testbed_cli_writes_the_histograms_on_stop(tmp_path: Path) -> None:
    out = tmp_path / "times.json"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "console.cli", "testbed", "--no-terminals", "--port", "0", "--quiet",
        "--handling-times", str(out), cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        assert process.stdout is not None
        first = (await asyncio.wait_for(process.stdout.readline(), 60.0)).decode().strip()
        assert first.startswith("listening ws://"), first
        client = await TrunkingClient.connect(first.split(" ", 1)[1], _hello("HS-001"))
        try:
            answer = await client.request(FloorRequest(id=0, group="TG-S01", key="c1"))
            assert answer.result["outcome"] == "granted"
        finally:
            await client.close()
        process.send_signal(signal.SIGINT)
        _, err = await asyncio.wait_for(process.communicate(), 30.0)
        assert process.returncode == 0, err.decode()
    finally:
        if process.returncode is None:
            process.kill()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), 5.0)
    histograms = load(out)
    assert sum(histograms["floor.request granted"]["total"].values()) == 1
    assert set(histograms["floor.request granted"]) == {"total", "wait", "handle", "write"}
