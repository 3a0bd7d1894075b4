"""Look at test mode: run `trunkdesk demo --test-mode` offscreen, drive the line a little and save PNGs.

    python -m console.ui.test_mode.screenshot [--out docs/screenshots]

With every terminal of the sample line simulated (no behaviours of their own, so that the pictures show what was
done here): recording on, an emergency raised from handset HS-002, train radio TR1905 holding PTT; then instance A
killed and the desk failed over to B. Saves the panel (``test-mode.png``, its drive tab; ``test-mode-faults.png``,
its faults tab after the kill; ``test-mode-zh_CN.png`` in Chinese) and the whole desk (``test-mode-desk.png``).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

DEFAULT_OUT = Path(__file__).resolve().parents[3] / "docs" / "screenshots"
#: the size the panel's dock is shot at when floated out of the desk (as wide as its column in the default layout)
PANEL_SIZE = (560, 980)


def _shooter(out: Path) -> Any:
    async def shoot(session: Any) -> None:
        from console.ui.panes.test_mode import NAME, show_pane

        window = session.window
        window.resize(1920, 1050)
        show_pane(window)
        pane = window.pane(NAME)
        bench = pane.bench
        world = session.desk.world
        await session.desk.wait_until(lambda: len(bench.simulated) == len(bench.line.terminals), 60)
        pane.record_bar.start()
        await asyncio.sleep(1.0)
        await bench.emergency("HS-002")
        await bench.ptt_press("TR1905")
        pane.select_terminal("TR1905")
        pane.filter.setText("")
        await asyncio.sleep(2.5)  # the banner, the floor, the recording clock

        def save(widget: Any, name: str) -> None:
            path = out / name
            widget.grab().save(str(path))
            print(f"saved {path}")  # noqa: T201 - a command-line tool

        save(window, "test-mode-desk.png")
        dock = window.docks[NAME]
        dock.setFloating(True)
        dock.resize(*PANEL_SIZE)
        dock.show()
        await asyncio.sleep(0.6)
        save(dock, "test-mode.png")
        window.choose_language("zh_CN")
        await asyncio.sleep(0.6)
        save(dock, "test-mode-zh_CN.png")
        window.choose_language("en")
        await bench.ptt_release("TR1905")
        await bench.fault("kill", "A")
        await session.desk.wait_until(lambda: bench.active_instance() == "B", 30)
        await session.desk.wait_until(lambda: all(bench.sim(t).link_up for t in bench.simulated), 30)
        pane.tabs.setCurrentIndex(1)
        await asyncio.sleep(1.0)
        save(dock, "test-mode-faults.png")
        logger.info("links: %s", {n: (link.role, link.state) for n, link in world.links.items()})
        window.close()

    return shoot


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m console.ui.test_mode.screenshot",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"folder for the PNGs (default {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings

    folder = Path(tempfile.mkdtemp(prefix="trunkdesk-screenshot-"))
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    from console.ui.app import run_desk
    from console.ui.test_mode import TestModeOptions

    args.out.mkdir(parents=True, exist_ok=True)
    return run_desk([], "", "", demo=True, language="en", script=_shooter(args.out), log_path=folder / "events.sqlite",
                    test_mode=TestModeOptions(rate=0.0))


if __name__ == "__main__":
    sys.exit(main())
