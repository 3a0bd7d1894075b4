"""`trunkdesk demo`: the dual-live testbed as a child process and the desk signed in to both instances."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from console.core.train_graph import PlanClock
from console.ui.app import run_desk
from console.ui.session import DeskSession
from tests.ui.conftest import until

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def plain_app(qapp: QApplication) -> Iterator[QApplication]:
    """The test QApplication, given back without the desk's theme afterwards."""
    yield qapp
    qapp.setStyleSheet("")
    qapp.setQuitOnLastWindowClosed(True)


def test_the_demo_desk_signs_in_to_both_instances_and_sees_the_line(plain_app: QApplication,
                                                                     tmp_path: Path) -> None:
    seen: dict[str, object] = {}

    async def check(session: DeskSession) -> None:
        world = session.desk.world
        await until(lambda: {n for n, link in world.links.items() if link.state == "up"} == {"A", "B"}, 30)
        await until(lambda: {link.role for link in world.links.values()} == {"active", "standby"}, 10)
        await until(lambda: len(world.of_kind("train")) >= 5, 30)  # the simulated fleet registered
        await until(lambda: bool(world.affiliations) and world.selected is not None, 10)
        bar = session.window.status
        await until(lambda: all(b.link_state == "up" for b in bar.badges.values()), 5)
        seen.update(me=world.me, role=world.dispatcher_role, badges=sorted(bar.badges),
                    dispatcher=bar.dispatcher_label.text(), trains=len(world.of_kind("train")),
                    plans=len(session.desk.plans.plans) if session.desk.plans is not None else 0)
        # the simulated line's clock, told by the platform in the welcome (SPEC §3.5.9), is the train graph's
        welcome = session.desk.link.welcome if session.desk.link is not None else None
        told = welcome.line_clock if welcome is not None else None
        seen.update(told=told is not None,
                    plan_clock=session.desk.trains.plan_clock == (PlanClock.told(told) if told else None))
        session.window.close()

    code = run_desk([], "", "", demo=True, testbed_args=["--rate", "0.2"], language="en",
                    log_path=tmp_path / "events.sqlite", script=check)
    assert code == 0
    assert seen["me"] == "chief" and seen["role"] == "chief_dispatcher"
    assert seen["badges"] == ["A", "B"]
    assert seen["dispatcher"] == "chief · Chief dispatcher"
    assert seen["plans"] == 5  # the emergency plans of resources/plans, checked against the demo line
    assert seen["told"] and seen["plan_clock"]
    assert (tmp_path / "events.sqlite").is_file()
