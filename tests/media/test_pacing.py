"""Receive pacing (media/pacing.py): the loop sleeps between turns only while video is received."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import pytest
import uvloop

from media.pacing import DEFAULT_INTERVAL, ReceivePacer, interval_from_environment


@pytest.mark.parametrize(("value", "expected"), [("", DEFAULT_INTERVAL), ("0", 0.0), ("8", 0.008), (" 2.5 ", 0.0025)])
def test_the_interval_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch, value: str, expected: float) -> None:
    monkeypatch.setenv("TRUNKDESK_RX_PACING_MS", value)
    assert interval_from_environment() == pytest.approx(expected)


@pytest.mark.parametrize("value", ["fast", "-1", "50", "nan"])
def test_a_bad_interval_is_refused_with_a_log_line(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
                                                   value: str) -> None:
    monkeypatch.setenv("TRUNKDESK_RX_PACING_MS", value)
    with caplog.at_level(logging.WARNING, logger="media.pacing"):
        assert interval_from_environment() == DEFAULT_INTERVAL
    assert "TRUNKDESK_RX_PACING_MS" in caplog.text


def test_the_pacer_sleeps_once_per_turn_while_active_and_stops_when_not() -> None:
    uvloop.run(_sleeps_once_per_turn())


async def _sleeps_once_per_turn() -> None:
    slept: list[float] = []
    active = [True]
    pacer = ReceivePacer(0.004, lambda: active[0], sleep=slept.append)
    pacer.wake()
    pacer.wake()  # a second wake does not start a second chain of turns
    for _ in range(10):
        await asyncio.sleep(0)
    assert pacer.running
    # one sleep per turn of the loop (not two: the second wake started nothing)
    assert 8 <= len(slept) <= 11
    assert set(slept) == {0.004}
    active[0] = False
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert not pacer.running
    stopped_at = len(slept)
    for _ in range(5):
        await asyncio.sleep(0)
    assert len(slept) == stopped_at
    active[0] = True  # video again: the next session's wake starts it again
    pacer.wake()
    for _ in range(3):
        await asyncio.sleep(0)
    assert len(slept) > stopped_at
    pacer.stop()
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert not pacer.running
    pacer.wake()  # stopped for good
    assert not pacer.running


def test_no_pacing_when_the_interval_is_zero() -> None:
    async def run() -> None:
        slept: list[float] = []
        pacer = ReceivePacer(0.0, lambda: True, sleep=slept.append)
        pacer.wake()
        for _ in range(3):
            await asyncio.sleep(0)
        assert slept == [] and not pacer.running

    uvloop.run(run())


async def test_no_pacing_on_asyncios_own_loop(caplog: pytest.LogCaptureFixture) -> None:
    """asyncio's loop reads one datagram per socket per turn: paced, it would drop a 720p feed's packets."""
    slept: list[float] = []
    pacer = ReceivePacer(0.004, lambda: True, sleep=slept.append)
    with caplog.at_level(logging.INFO, logger="media.pacing"):
        pacer.wake()
        pacer.wake()
    for _ in range(3):
        await asyncio.sleep(0)
    assert slept == [] and not pacer.running
    assert caplog.text.count("not uvloop") == 1


def test_a_paced_loop_still_serves_sockets_and_timers() -> None:
    """With the real sleep, on uvloop: bursts of datagrams sent while the loop sleeps are all received, in order,
    and a timer fires at most a few intervals late."""
    uvloop.run(_serves_sockets_and_timers())


async def _serves_sockets_and_timers() -> None:
    loop = asyncio.get_running_loop()
    got: list[bytes] = []
    arrived = asyncio.Event()

    class Sink(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, addr: object) -> None:
            got.append(data)
            if len(got) == 150:
                arrived.set()

    transport, _ = await loop.create_datagram_endpoint(Sink, local_addr=("127.0.0.1", 0))
    address = transport.get_extra_info("sockname")
    sender, _ = await loop.create_datagram_endpoint(asyncio.DatagramProtocol, remote_addr=address)
    pacer = ReceivePacer(0.004, lambda: True)
    try:
        pacer.wake()
        for burst in range(3):  # 50 packets of 1,200 bytes at once, like a 720p keyframe
            for n in range(50 * burst, 50 * burst + 50):
                sender.sendto(n.to_bytes(2, "big") * 600)
            await asyncio.sleep(0.01)
        try:
            await asyncio.wait_for(arrived.wait(), 5)
        except TimeoutError:
            raise AssertionError(f"{len(got)} datagrams of 150 arrived") from None
        assert [int.from_bytes(d[:2], "big") for d in got] == list(range(150))
        began = time.monotonic()
        await asyncio.sleep(0.01)
        assert time.monotonic() - began < 0.01 + 0.1  # late by a few intervals at most, never stuck
        assert pacer.turns > 0
    finally:
        pacer.stop()
        sender.close()
        transport.close()


def test_a_video_socket_gets_a_larger_kernel_buffer() -> None:
    """Paced reading leaves packets in the kernel a few milliseconds: the lean video path asks for 1 MiB."""
    import socket

    from media.fast_video import RECEIVE_BUFFER, _enlarge_receive_buffer

    allowed = int(Path("/proc/sys/net/core/rmem_max").read_text())

    async def run() -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0))
        try:
            sock = transport.get_extra_info("socket")
            before = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
            _enlarge_receive_buffer(transport, "test")
            after = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
            assert after > before
            assert after >= min(RECEIVE_BUFFER, allowed)
            _enlarge_receive_buffer(None, "test")  # no transport: nothing to do, no error
        finally:
            transport.close()

    uvloop.run(run())
