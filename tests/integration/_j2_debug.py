import importlib, logging, sys, threading, time, traceback, asyncio, collections
async def run(target: str, clips: str):
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    for n in ("aioice", "aiortc", "websockets", "protocols", "testbed.terminals", "media.receiver", "media.sender", "media.publisher", "media.engine", "media.decode"):
        logging.getLogger(n).setLevel(logging.WARNING)
    main = threading.main_thread().ident
    beat = [time.monotonic()]
    stacks = collections.Counter()
    async def ticker():
        while True:
            beat[0] = time.monotonic(); await asyncio.sleep(0.02)
    def watch():
        while True:
            time.sleep(0.05)
            if time.monotonic() - beat[0] > 0.2:
                frame = sys._current_frames().get(main)
                st = traceback.extract_stack(frame)
                key = " <- ".join(f"{f.filename.split('/')[-1]}:{f.lineno}:{f.name}" for f in st[-8:][::-1])
                stacks[key] += 1
    t = asyncio.ensure_future(ticker())
    threading.Thread(target=watch, daemon=True).start()
    from testbed.janus import JanusProcess
    original_stop = JanusProcess.stop
    async def stop(self):
        import shutil
        try: shutil.copy(self.log_path, "/tmp/j2/janus.log")
        except Exception: pass
        await original_stop(self)
    JanusProcess.stop = stop
    mod, fn = target.split(":")
    try:
        return await getattr(importlib.import_module(mod), fn)(clips)
    finally:
        for k, v in stacks.most_common(25):
            sys.stderr.write(f"STALL {v} {k}\n")

async def focus_body(clips: str):
    from tests.integration.janus_plane_support import janus_testbed, tile_size, until, shown_terminal
    import time
    logging.getLogger("media.publisher").setLevel(logging.INFO)
    out = {}
    async with janus_testbed(clips, loss_after=4.0) as bed:
        cams = ["CAM-S01-1", "CAM-S02-1", "CAM-S03-1"]
        fleet = await bed.start_fleet(*cams)
        a, b = await bed.desk("chief"), await bed.desk("train1")
        for d in (a, b):
            for c in cams: await d.pull_video(c)
        await until(lambda: all(shown_terminal(d, i, fleet.media_numbers) == cams[i] for d in (a, b) for i in range(3)), 30, "shown")
        t = time.monotonic()
        await a.media.focus(0)
        try:
            await until(lambda: tile_size(a, 0) == (1280, 720), 10.0, "HD")
        except AssertionError as e:
            out["err"] = str(e)
        out["hd_after"] = time.monotonic() - t
        out["sizes"] = [tile_size(a, 0), tile_size(b, 0)]
        sfu = bed.platform.sfu
        out["subs"] = {k: (v.quality, v.feed_mid, v.started) for k, v in sfu.subscriptions.items()}
        out["pubs"] = {k: (v.source, [(s.mid, s.description) for s in v.streams]) for k, v in sfu.publications.items()}
        out["state"] = {k: (v.source, v.sink, v.quality, v.state) for k, v in bed.platform.state.video.sessions.items()}
    return out
