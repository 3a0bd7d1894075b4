import asyncio, logging, sys, time, tempfile
from pathlib import Path
from tests.integration.janus_support import janus_in_namespace, PEER_ADDRESS, peers_on_veth
from testbed.line import load_line, default_line_path
from testbed.platform.server import PlatformServer
from testbed.terminals import Fleet
from testbed.terminals.feeds import FeedSettings
from console.core.desk import Desk
from console.core.layout import layout_from_line
from console.core.media_desk import MediaOptions
from media.stamp import read_frame_stamp

async def body(clips: str):
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    for n in ("aioice", "aiortc", "websockets"): logging.getLogger(n).setLevel(logging.WARNING)
    peers_on_veth()
    line = load_line(default_line_path())
    out = {}
    async with janus_in_namespace() as janus:
        platform = PlatformServer(line, janus_url=janus.url)
        await platform.start()
        await platform.sfu.wait_up()
        cams = ["CAM-S01-1", "CAM-S02-1"]
        fleet = Fleet(line, platform.url, rate=0, include=cams, media=FeedSettings(allowed_addresses=(PEER_ADDRESS,), clip_cache=Path(clips), clip_seconds=4.0))
        await fleet.start()
        tmp = Path(tempfile.mkdtemp())
        desk = Desk(tmp / "e.db", layout=layout_from_line(line), media=MediaOptions(allowed_addresses=(PEER_ADDRESS,), workers=1))
        await desk.connect(platform.url, "chief", "demo")
        began = time.monotonic()
        sessions = [await desk.pull_video(c) for c in cams]
        by_number = {n: t for t, n in fleet.media_numbers.items()}
        def shown(i):
            f = desk.media.read_tile(i)
            if f is None: return None
            st = read_frame_stamp(f.luma())
            return by_number.get(st[0]) if st else None
        while time.monotonic() - began < 30:
            if all(shown(i) == cams[i] for i in range(2)): break
            await asyncio.sleep(0.1)
        out["took"] = time.monotonic() - began
        out["shown"] = [shown(i) for i in range(2)]
        out["sessions"] = {k: (v.source, v.sink, v.state, v.quality) for k, v in platform.state.video.sessions.items()}
        await desk.media.focus(0)
        t = time.monotonic()
        while time.monotonic() - t < 15:
            f = desk.media.read_tile(0)
            if f is not None and f.width == 1280: break
            await asyncio.sleep(0.1)
        out["hd_after"] = time.monotonic() - t
        out["sessions2"] = {k: (v.source, v.sink, v.state, v.quality) for k, v in platform.state.video.sessions.items()}
        await desk.close()
        await fleet.stop()
        await platform.stop()
    return out
