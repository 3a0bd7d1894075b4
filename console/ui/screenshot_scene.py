"""Look at the dispatch panes in a busy moment: the reference platform and the whole simulated line run in a
thread, the desk signs in to them, and a scene is played (an emergency, alarms, calls ringing and running, a
queue, texts, a PIS push, the dispatcher talking) before the PNGs are taken.

    python -m console.ui.screenshot_scene [--out docs/screenshots] [--xvfb] [--language zh_CN --language en] [--sizes]

Saves ``emergency.png`` (the whole desk, red banner across the top) and ``groups.png``, ``calls.png``,
``messages.png``, ``event_log.png`` (each pane's dock floated at a size that shows it whole); Chinese under those
names, English as ``NAME-en.png``; with ``--plan``, then ``plan.png`` (the desk once a fire alarm at a station has
proposed its plan). Rendering and Xvfb as `console.ui.screenshot`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
import tempfile
import threading
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from console.ui.screenshot import DEFAULT_OUT, xvfb

if TYPE_CHECKING:
    from console.ui.session import DeskSession
    from testbed.terminals import Fleet

logger = logging.getLogger(__name__)

#: each pane shot floated at this size (px)
PANE_SIZES = {"groups": (620, 1000), "calls": (980, 640), "messages": (980, 760), "event_log": (1240, 720),
              "emergencies": (980, 760)}
SHOTS = ("groups", "calls", "emergencies", "messages", "event_log")


class TestbedThread:
    """The platform and the fleet on their own asyncio loop in a thread (the desk's loop stays free to paint)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.url = ""
        self.fleet: Fleet | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="scene-testbed", daemon=True)
        self._error: BaseException | None = None

    def start(self) -> str:
        self._thread.start()
        if not self._ready.wait(60) or self._error is not None:
            raise SystemExit(f"the scene's testbed did not start: {self._error!r}")
        return self.url

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._main())

    async def _main(self) -> None:
        from testbed.line import default_line_path, load_line
        from testbed.platform.server import PlatformServer
        from testbed.terminals import Fleet, simulated_clock

        self._stop = asyncio.Event()
        line = load_line(default_line_path())
        service = simulated_clock(line, speed=4.0)  # told to the desk in its welcome: its train graph follows it
        platform = PlatformServer(line, host="127.0.0.1", port=0, line_clock=service.to_wire())
        try:
            await platform.start()
            self.url = platform.url
            self.fleet = Fleet(line, platform.url, rate=0, service=service)  # every terminal; only the scene acts
            await self.fleet.start()
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            raise
        self._ready.set()
        await self._stop.wait()
        with contextlib.suppress(Exception):
            await self.fleet.stop()
        await platform.stop()

    async def run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        """Run ``coroutine`` on the testbed's loop and wait for it from the desk's loop."""
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, self.loop))

    def terminal(self, terminal_id: str) -> Any:
        assert self.fleet is not None
        return self.fleet.terminal(terminal_id)

    def stop(self) -> None:
        if self._stop is not None:
            self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)


async def play_scene(session: DeskSession, testbed: TestbedThread) -> None:
    """What a busy minute on the line looks like on the desk."""
    desk, world = session.desk, session.desk.world
    run, t = testbed.run, testbed.terminal
    await desk.wait_until(lambda: len(world.affiliations) > 1, 10)
    # a station group where staff talk and one more waits
    talk = asyncio.ensure_future(run(t("HS-003").talk(60, "TG-S02")))
    await desk.wait_until(lambda: (c := world.call_of_group("TG-S02")) is not None and c.holder == "HS-003", 10)
    await run(t("HS-004").ptt_press("TG-S02"))
    await run(t("TR1905").send_text("1905次列车已到达文昌路站，一切正常", group="TG-TRAIN"))
    await run(t("HS-012").set_status(3))
    await run(t("HS-009").send_text("站台积水已处理完毕", to="chief"))
    # the dispatcher talks to one station; two staff talk privately
    await desk.select("TG-S05")
    session.commands.ptt_down()
    await desk.wait_until(lambda: desk.ptt_state == "has_permission", 10)
    await run(t("HS-005").call_private("HS-006"))  # staff calling each other (the desk sees every call)
    await desk.push_pis("列车临时停车，请耐心等候", "The train is held briefly. Thank you for your patience.", ["1907"],
                        urgent=True)
    await desk.send_text("S05 请派人到站台查看", group="TG-S05")
    # alarms, and a handset calling the desk
    await run(t("ST-S03-1").raise_alarm("sensor", "critical", "WATER", "下行线轨道积水 Water on the down track",
                                        origin="S03"))
    await run(t("CAM-S06-1").raise_alarm("video_analytics", "major", "CROWD", "站台客流拥挤 Platform crowding",
                                         origin="CAM-S06-1"))
    await run(t("ST-S08-1").raise_alarm("equipment", "minor", "PSD-12", "屏蔽门 12 故障 Platform door 12 fault",
                                        origin="S08"))
    await run(t("HS-010").call_private("chief"))
    # and then the emergency
    await run(t("HS-001").emergency())
    await desk.wait_until(lambda: any(a.state == "active" for a in world.alerts.values()), 10)
    await asyncio.sleep(4)  # some seconds of age, a few blinks, the durations ticking
    talk.cancel()


async def propose_plan(session: DeskSession, testbed: TestbedThread) -> None:
    """A fire alarm at Wenchang Road: the desk proposes the station fire plan (five steps) and its pane comes up."""
    plans = session.desk.plans
    if plans is None:
        raise SystemExit("the desk loaded no emergency plans")
    await testbed.run(testbed.terminal("ST-S03-1").raise_alarm("sensor", "critical", "FIRE", "站厅烟感报警 Smoke in "
                                                                "the concourse"))
    await session.desk.wait_until(lambda: bool(plans.open_proposals()), 10)


def _shooter(out: Path, languages: list[str], testbed: TestbedThread,
             sizes: bool = False, plan: bool = False) -> Callable[[DeskSession], Awaitable[None]]:
    async def shoot(session: DeskSession) -> None:
        from PySide6.QtWidgets import QApplication

        window = session.window
        if QApplication.platformName() == "offscreen":
            window.resize(1920, 1050)
        else:
            window.showMaximized()
        await play_scene(session, testbed)
        if sizes:  # does the desk fit a 1080-line screen with the banner up? (docks cannot shrink below these)
            print(f"window minimum {window.minimumSizeHint().width()}x{window.minimumSizeHint().height()}")  # noqa: T201
            for name, dock in window.docks.items():
                hint = dock.minimumSizeHint()
                print(f"  {name}: minimum {hint.width()}x{hint.height()}")  # noqa: T201
        for code in languages:
            suffix = "" if code == "zh_CN" else f"-{code}"
            window.choose_language(code)
            window.apply_default_layout()
            await asyncio.sleep(1.2)  # the loop paints meanwhile; the banner blinks at least once
            path = out / f"emergency{suffix}.png"
            window.grab().save(str(path))
            print(f"saved {path}")  # noqa: T201 - a command-line tool
            for name in SHOTS:
                dock = window.docks[name]
                dock.setFloating(True)
                dock.resize(*PANE_SIZES[name])
                dock.show()
                dock.raise_()
                await asyncio.sleep(0.6)
                path = out / f"{name}{suffix}.png"
                dock.grab().save(str(path))
                print(f"saved {path}")  # noqa: T201
            window.apply_default_layout()
        if plan:  # last: the plans pane takes room in the middle column while the plan is open
            await propose_plan(session, testbed)
            for code in languages:
                window.choose_language(code)
                await asyncio.sleep(1.2)
                path = out / f"plan{'' if code == 'zh_CN' else f'-{code}'}.png"
                window.grab().save(str(path))
                print(f"saved {path}")  # noqa: T201
        session.commands.ptt_up()
        await asyncio.sleep(0.5)
        window.close()

    return shoot


@contextlib.contextmanager
def _private_settings() -> Iterator[None]:
    """The default layout and language, not what the last desk on this machine saved."""
    from PySide6.QtCore import QSettings

    folder = tempfile.mkdtemp(prefix="trunkdesk-scene-")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, folder)
    yield


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m console.ui.screenshot_scene", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"folder for the PNGs (default {DEFAULT_OUT})")
    parser.add_argument("--language", action="append", choices=("en", "zh_CN"), default=None,
                        help="language(s) to shoot (default: both)")
    parser.add_argument("--xvfb", action="store_true", help="render on a virtual X display (Xvfb :99)")
    parser.add_argument("--sizes", action="store_true", help="print the minimum size of the window and of each dock")
    parser.add_argument("--plan", action="store_true",
                        help="then a fire alarm at a station: the desk with its plan proposed (plan.png, plan-en.png)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    languages = args.language or ["zh_CN", "en"]
    args.out.mkdir(parents=True, exist_ok=True)
    from console.ui.app import run_desk
    from testbed.line import default_line_path

    testbed = TestbedThread()
    url = testbed.start()
    log = Path(tempfile.mkdtemp(prefix="trunkdesk-scene-")) / "events.sqlite"
    shoot = _shooter(args.out, languages, testbed, args.sizes, args.plan)
    try:
        with _private_settings():
            if args.xvfb:
                with xvfb():
                    return run_desk([url], "chief", "demo", language=languages[0], line=default_line_path(),
                                    log_path=log, script=shoot)
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
            return run_desk([url], "chief", "demo", language=languages[0], line=default_line_path(), log_path=log,
                            script=shoot)
    finally:
        testbed.stop()


if __name__ == "__main__":
    sys.exit(main())
