"""A client may send its first request the moment it reads its welcome: the platform must know the session by then.

The platform states each new session to its journal; that entry is applied before the welcome is sent (and made
safe in the background, so that a pair's welcome does not wait for the standby or the witness's lease). This checks
the order for new consoles and terminals alike; the race it guards against showed as an occasional 401 "no session"
in the testbed CLI's test once the server driver answered within the socket's own callback (it did not reproduce
here on the older code, whose two loop turns of margin usually sufficed).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from protocols.codec import decode, encode
from protocols.constants import SUBPROTOCOL
from protocols.messages import Error, Hello, Ok, StatusSet, Welcome
from testbed.line import SAMPLE_TERMINAL_SECRET, default_line_path, load_line
from testbed.platform.server import PlatformServer

pytestmark = pytest.mark.integration


@pytest.fixture
async def platform() -> AsyncIterator[PlatformServer]:
    server = PlatformServer(load_line(default_line_path()), port=0)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def test_a_request_sent_as_soon_as_the_welcome_arrives_is_served(platform: PlatformServer) -> None:
    hellos = [Hello(id=1, versions=[1], role="console", ident=ident, secret="demo")
              for ident in ("chief", "train1", "train2", "env1", "maint1", "depot1")]
    hellos += [Hello(id=1, versions=[1], role="terminal", ident=f"HS-{n:03d}", terminal_kind="handset",
                     secret=SAMPLE_TERMINAL_SECRET) for n in range(1, 25)]
    for attempt, hello in enumerate(hellos):  # each a principal the platform has not seen yet
        async with connect(platform.url, subprotocols=[Subprotocol(SUBPROTOCOL)], compression=None) as ws:
            await ws.send(encode(hello).decode())
            while not isinstance(welcome := decode(await ws.recv()), Welcome):
                pass
            assert welcome.resume_token
            await ws.send(encode(StatusSet(id=2, status=2)).decode())  # at once, in the same turn of our loop
            while True:
                answer = decode(await ws.recv())
                if getattr(answer, "re", None) == 2:
                    break
            # served: a terminal's status is set; a console is told it has none (403), never "no session" (401)
            expected = Ok if hello.role == "terminal" else Error
            assert isinstance(answer, expected), f"attempt {attempt}: {answer}"
            assert not isinstance(answer, Error) or answer.code == 403, f"attempt {attempt}: {answer}"
