"""The Janus API client against a real Janus (API only: no PeerConnection, so no network namespace): synchronous
and asynchronous plugin replies, Janus's and the plugins' errors with their codes, events it sends on its own,
timeouts, loss of Janus (killed or hung), and bad input from a server that is not quite Janus."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from collections.abc import AsyncIterator

import pytest
import websockets
from websockets.asyncio.server import ServerConnection, serve

from media.janus import (
    VIDEOROOM,
    AudioBridgeAdmin,
    JanusApiError,
    JanusClient,
    JanusConnectionLost,
    JanusEvent,
    JanusTimeout,
    PluginError,
    VideoRoomAdmin,
    VideoRoomPublisher,
)
from testbed.janus import INSTALL_COMMAND, JanusProcess

pytestmark = pytest.mark.timeout(60)

needs_janus = pytest.mark.skipif(shutil.which("janus") is None, reason=f"janus not installed ({INSTALL_COMMAND})")


@pytest.fixture
async def janus() -> AsyncIterator[JanusProcess]:
    process = JanusProcess()
    await process.start()
    try:
        yield process
    finally:
        await process.stop()


@pytest.fixture
async def client(janus: JanusProcess) -> AsyncIterator[JanusClient]:
    connection = await JanusClient.connect(janus.url)
    try:
        yield connection
    finally:
        await connection.close()


@needs_janus
async def test_synchronous_and_asynchronous_plugin_replies_both_come_back_from_message(client: JanusClient) -> None:
    info = await client.info()
    assert info["janus"] == "server_info" and info["version_string"]
    session = await client.create_session()
    admin = await VideoRoomAdmin.attach(session)
    room = await admin.create(description="TG-S01", publishers=30)  # synchronous: "success" with the data
    assert await admin.exists(room)
    publisher = await VideoRoomPublisher.join(session, room, display="CAM-1")  # asynchronous: "ack", then "event"
    assert publisher.feed_id > 0 and publisher.private_id
    assert publisher.publishers == []
    listed = await admin.participants(room)
    assert [(p["id"], p["display"], p["publisher"]) for p in listed] == [(publisher.feed_id, "CAM-1", False)]
    await publisher.leave()
    assert publisher.handle.detached
    assert await admin.participants(room) == []
    await admin.destroy(room)
    assert not await admin.exists(room)


@needs_janus
async def test_a_plugin_refusal_carries_the_plugins_code_and_reason(client: JanusClient) -> None:
    session = await client.create_session()
    admin = await VideoRoomAdmin.attach(session)
    with pytest.raises(PluginError) as refused:
        await admin.destroy(4242)
    assert refused.value.code == 426 and "No such room" in refused.value.reason
    assert "videoroom destroy" in str(refused.value)
    room = await admin.create(room=4242)
    with pytest.raises(PluginError) as taken:
        await admin.create(room=4242)
    assert taken.value.code == 427, "room already exists"
    bridge = await AudioBridgeAdmin.attach(session)
    with pytest.raises(PluginError) as unknown:
        await bridge.mute(room, 1)
    assert unknown.value.code == 485 and "No such room" in unknown.value.reason  # AudioBridge's own code
    # the session carries on after refusals
    assert await admin.exists(room)


@needs_janus
async def test_a_core_refusal_carries_januss_code(client: JanusClient) -> None:
    session = await client.create_session()
    with pytest.raises(JanusApiError) as no_plugin:
        await session.attach("janus.plugin.nothing")
    assert no_plugin.value.code == 460 and "nothing" in no_plugin.value.reason
    handle = await session.attach(VIDEOROOM)
    await session.destroy()
    with pytest.raises(JanusApiError) as gone:
        await handle.message({"request": "list"})
    assert gone.value.code == 458, "no such session"
    assert not client.lost, "a refused request is an answer, not a lost connection"


@needs_janus
async def test_trickled_candidates_are_acknowledged_and_a_trickle_without_one_is_refused(
        client: JanusClient) -> None:
    session = await client.create_session()
    handle = await session.attach(VIDEOROOM)
    # aiortc puts every candidate in its SDP; a browser-like peer would trickle them (Janus queues them until the
    # PeerConnection exists), then say gathering is complete
    await handle.trickle({"sdpMid": "0", "sdpMLineIndex": 0,
                          "candidate": "candidate:1 1 udp 2130706431 10.200.0.2 5000 typ host"})
    await handle.trickle(None)
    with pytest.raises(JanusApiError) as refused:
        await client.request({"janus": "trickle", "session_id": session.id, "handle_id": handle.id})
    assert refused.value.code == 456 and "candidate" in refused.value.reason


@needs_janus
async def test_events_janus_sends_unasked_reach_the_handle_callbacks_and_waiters(client: JanusClient) -> None:
    session = await client.create_session()
    admin = await VideoRoomAdmin.attach(session)
    room = await admin.create(notify_joining=True)
    first = await VideoRoomPublisher.join(session, room, display="first")
    seen: list[JanusEvent] = []
    unsubscribe = first.handle.on_event(seen.append)
    mark = first.handle.event_count
    second = await VideoRoomPublisher.join(session, room, display="second")
    joining = await first.handle.wait_event(lambda e: "joining" in e.data, after=mark, timeout=5)
    assert joining.kind == "event" and joining.data["joining"]["id"] == second.feed_id
    assert seen and seen[-1] is joining
    unsubscribe()
    with pytest.raises(JanusTimeout):
        await first.handle.wait_event(lambda e: "joining" in e.data, after=joining.seq, timeout=0.3)
    await admin.destroy(room)
    destroyed = await second.handle.wait_event(lambda e: e.data.get("videoroom") == "destroyed", timeout=5)
    assert destroyed.data["room"] == room
    assert len(seen) == 1, "an unsubscribed callback hears nothing more"


@needs_janus
async def test_a_killed_janus_fails_pending_work_and_is_reported_at_once(janus: JanusProcess,
                                                                          client: JanusClient) -> None:
    session = await client.create_session()
    handle = await session.attach(VIDEOROOM)
    reasons: list[str] = []
    client.on_lost(reasons.append)
    waiting = asyncio.create_task(handle.wait_event(lambda e: False, timeout=30))
    await asyncio.sleep(0.05)
    began = time.monotonic()
    await janus.kill()
    reason = await asyncio.wait_for(client.wait_lost(), 5)
    took = time.monotonic() - began
    assert took < 3.0, f"loss noticed after {took:.2f} s (a keepalive would take 15 s)"
    assert reasons == [reason] and "closed" in reason
    with pytest.raises(JanusConnectionLost):
        await waiting
    with pytest.raises(JanusConnectionLost):
        await handle.message({"request": "list"})
    with pytest.raises(JanusConnectionLost):
        await client.create_session()
    await session.destroy()  # quiet: nothing to destroy any more
    await janus.start()
    async with await JanusClient.connect(janus.url) as again:
        assert (await again.info())["janus"] == "server_info"


@needs_janus
async def test_a_hung_janus_times_requests_out_and_is_reported_lost_by_the_keepalive(janus: JanusProcess,
                                                                                      client: JanusClient) -> None:
    await client.create_session(keepalive=0.3)
    lost: list[str] = []
    client.on_lost(lost.append)
    janus.pause()
    try:
        with pytest.raises(JanusTimeout, match=r"no answer within 0\.2 s"):
            await client.request({"janus": "info"}, timeout=0.2)
        assert not client.lost, "one slow answer is not a loss"
        reason = await asyncio.wait_for(client.wait_lost(), 3)
        assert "keepalive" in reason and lost == [reason]
    finally:
        janus.resume()


async def test_connecting_where_no_janus_listens_is_a_connection_error() -> None:
    with pytest.raises(OSError):
        await JanusClient.connect("ws://127.0.0.1:9", timeout=2)


async def test_bad_input_from_the_server_is_ignored_and_the_answer_still_arrives() -> None:
    """A stand-in server that first sends garbage, an array, an answer to nobody, then the real answer."""

    async def handler(ws: ServerConnection) -> None:
        async for raw in ws:
            request = json.loads(raw)
            await ws.send("this is not JSON")
            await ws.send("[1, 2, 3]")
            await ws.send(json.dumps({"janus": "event", "session_id": 99, "sender": 1}))
            await ws.send(json.dumps({"janus": "success", "transaction": "nobody"}))
            await ws.send(json.dumps({"janus": "server_info", "transaction": request["transaction"], "name": "x"}))

    def choose(connection: ServerConnection, offered: object) -> websockets.Subprotocol | None:
        return websockets.Subprotocol("janus-protocol")

    async with serve(handler, "127.0.0.1", 0, select_subprotocol=choose) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        async with await JanusClient.connect(f"ws://127.0.0.1:{port}") as client:
            assert (await client.info())["name"] == "x"
            assert (await client.info())["name"] == "x", "the client keeps working after bad input"
            assert not client.lost


async def test_a_server_speaking_another_subprotocol_is_refused() -> None:
    async def handler(ws: ServerConnection) -> None:
        await ws.wait_closed()

    async with serve(handler, "127.0.0.1", 0) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        with pytest.raises(ConnectionError, match="janus-protocol"):
            await JanusClient.connect(f"ws://127.0.0.1:{port}")
