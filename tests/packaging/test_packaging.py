"""The pieces the desktop bundle and `pip install .` rely on: the bundle's entry point, where resources are found
(bundle, checkout, installed share folder), translations without lrelease, the "desk ready" line, the desktop
entry and its icons. The bundle itself is built and run by packaging/smoke.sh (CI, after the tests)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import asyncio
import configparser
import glob
import importlib.util
import shutil
import sys
import sysconfig
import time
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from console.core.views import InstanceLink
from console.ui import i18n, resources
from console.ui.app import announce_ready
from testbed import line

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def no_resource_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No $TRUNKDESK_RESOURCES and no bundle, and a fresh resources cache before and after."""
    monkeypatch.delenv("TRUNKDESK_RESOURCES", raising=False)
    monkeypatch.delattr(sys, "_MEIPASS", raising=False)
    resources.resources_dir.cache_clear()
    yield
    resources.resources_dir.cache_clear()


def _resources_copy(folder: Path, *, parts: tuple[str, ...] = ("themes", "lines")) -> Path:
    for part in parts:
        shutil.copytree(ROOT / "resources" / part, folder / part)
    return folder


# ----- the bundle's entry point ----------------------------------------------------------------------------


def test_the_bundle_takes_python_dash_m_console_cli_as_itself() -> None:
    entry = _load(PACKAGING / "trunkdesk_main.py")
    assert entry.strip_self_module(["/opt/trunkdesk/trunkdesk", "-m", "console.cli", "demo", "--headless"]) == [
        "/opt/trunkdesk/trunkdesk", "demo", "--headless"]
    assert entry.strip_self_module(["trunkdesk", "demo", "-m", "console.cli"]) == [
        "trunkdesk", "demo", "-m", "console.cli"]
    assert entry.strip_self_module(["trunkdesk", "-m", "media.clips"]) == ["trunkdesk", "-m", "media.clips"]
    assert entry.strip_self_module(["trunkdesk"]) == ["trunkdesk"]


# ----- where resources are found -----------------------------------------------------------------------------


def test_resource_folders_go_environment_bundle_checkout_then_installed_share(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_resource_env: None) -> None:
    monkeypatch.setenv("TRUNKDESK_RESOURCES", str(tmp_path / "env"))
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path / "bundle"), raising=False)
    folders = line.resource_folders()
    assert folders[:3] == [tmp_path / "env", tmp_path / "bundle" / "resources", ROOT / "resources"]
    assert folders[3] == Path(sys.prefix) / "share" / "trunkdesk" / "resources"
    assert all(f.parts[-2:] == ("trunkdesk", "resources") for f in folders[3:])


def test_the_sample_line_and_the_desk_resources_come_from_a_bundle_when_frozen(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_resource_env: None) -> None:
    bundled = _resources_copy(tmp_path / "_internal" / "resources")
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path / "_internal"), raising=False)
    assert line.default_line_path() == bundled / "lines" / "sample-line.yaml"
    assert resources.resources_dir() == bundled
    assert line.load_line(line.default_line_path()).stations


def test_a_resources_folder_without_the_file_is_passed_over(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_resource_env: None) -> None:
    only_themes = _resources_copy(tmp_path / "themes-only", parts=("themes",))
    monkeypatch.setenv("TRUNKDESK_RESOURCES", str(only_themes))
    # the desk takes the first folder with its theme; the sample line comes from the next folder that has it
    assert resources.resources_dir() == only_themes
    assert line.default_line_path() == ROOT / "resources" / "lines" / "sample-line.yaml"


def test_an_installed_share_folder_is_found_when_there_is_no_checkout(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_resource_env: None) -> None:
    installed = _resources_copy(tmp_path / "share" / "trunkdesk" / "resources")
    real_is_file = Path.is_file
    checkout = ROOT / "resources"
    monkeypatch.setattr(Path, "is_file", lambda self: not self.is_relative_to(checkout) and real_is_file(self))
    monkeypatch.setattr(sysconfig, "get_path", lambda name, scheme=None: str(tmp_path))
    assert line.default_line_path() == installed / "lines" / "sample-line.yaml"
    assert resources.resources_dir() == installed


def test_every_data_file_pattern_of_the_wheel_matches_files() -> None:
    """A renamed resource folder would silently vanish from `pip install .`: each pattern must match."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    data_files: dict[str, list[str]] = config["tool"]["setuptools"]["data-files"]
    for target in ("icons", "themes", "lines", "scenarios", "plans", "translations"):
        assert f"share/trunkdesk/resources/{target}" in data_files
    for target, patterns in data_files.items():
        for pattern in patterns:
            if pattern.endswith(".qm"):
                continue  # compiled at setup; absent from a fresh clone
            assert glob.glob(str(ROOT / pattern)), f"{target}: {pattern} matches nothing"
    assert "pyinstaller" in " ".join(config["project"]["optional-dependencies"]["package"]).lower()


# ----- translations in a bundle --------------------------------------------------------------------------------


def test_without_lrelease_a_qm_that_looks_older_than_its_ts_still_serves(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_resource_env: None) -> None:
    copy = _resources_copy(tmp_path / "resources", parts=("themes", "translations"))
    monkeypatch.setenv("TRUNKDESK_RESOURCES", str(copy))
    ts = copy / "translations" / "trunkdesk_zh_CN.ts"
    qm = i18n.ensure_compiled("zh_CN", force=True)  # a real .qm next to the .ts
    later = time.time() + 60
    os.utime(ts, (later, later))  # copied after its .qm (cp -r into /opt): the .qm looks stale

    def no_lrelease() -> list[str]:
        raise i18n.TranslationsUnavailable("lrelease not found")

    monkeypatch.setattr(i18n, "find_lrelease", no_lrelease)
    monkeypatch.setattr(i18n, "_cache_dir", lambda: tmp_path / "cache")
    assert i18n.ensure_compiled("zh_CN") == qm
    qm.unlink()
    with pytest.raises(i18n.TranslationsUnavailable, match="lrelease not found"):
        i18n.ensure_compiled("zh_CN")


# ----- the "desk ready" line ------------------------------------------------------------------------------------


class _Desk:
    """Just what `announce_ready` reads: the world's links and `wait_until`."""

    def __init__(self, links: dict[str, InstanceLink]) -> None:
        self.world = SimpleNamespace(links=links)

    async def wait_until(self, condition: Callable[[], bool], timeout: float = 5.0) -> bool:
        deadline = asyncio.get_running_loop().time() + timeout
        while not condition():
            if asyncio.get_running_loop().time() > deadline:
                return False
            await asyncio.sleep(0.01)
        return True


async def test_the_desk_says_ready_once_both_instances_are_up_with_their_roles(
        capsys: pytest.CaptureFixture[str]) -> None:
    links = {"B": InstanceLink("B", state="up"), "A": InstanceLink("A", state="connecting")}
    ready = asyncio.ensure_future(announce_ready(_Desk(links), 2, timeout=5.0))
    await asyncio.sleep(0.05)
    assert not ready.done(), "B's role is not known yet and A is not up"
    links["B"] = InstanceLink("B", role="standby", state="up")
    links["A"] = InstanceLink("A", role="active", state="up")
    assert await asyncio.wait_for(ready, 2.0) == "desk ready: connected to A (active), B (standby)"
    assert capsys.readouterr().out == "desk ready: connected to A (active), B (standby)\n"


async def test_after_the_timeout_the_desk_says_what_it_has(capsys: pytest.CaptureFixture[str]) -> None:
    links: dict[str, Any] = {"A": InstanceLink("A", role="active", state="up"), "B": InstanceLink("B", state="down")}
    assert await announce_ready(_Desk(links), 2, timeout=0.05) == "desk ready: connected to A (active)"
    assert await announce_ready(_Desk({}), 1, timeout=0.01) == "desk ready: connected to none"
    assert capsys.readouterr().out.splitlines() == ["desk ready: connected to A (active)",
                                                    "desk ready: connected to none"]


# ----- the desktop entry and its icons ---------------------------------------------------------------------------


def test_the_desktop_entry_names_the_command_the_icon_and_a_chinese_name() -> None:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(PACKAGING / "trunkdesk.desktop", encoding="utf-8")
    entry = parser["Desktop Entry"]
    assert entry["Type"] == "Application"
    assert entry["Exec"] == "trunkdesk" and entry["Icon"] == "trunkdesk" and entry["Name"] == "trunkdesk"
    assert "调度台" in entry["Name[zh_CN]"]
    categories = entry["Categories"]
    assert categories.endswith(";") and {"Network", "Telephony"} <= set(categories.split(";"))


def test_the_icons_are_rendered_at_48_128_and_256_px(tmp_path: Path, qapp: Any) -> None:
    from PySide6.QtGui import QImage

    render_icons = _load(PACKAGING / "render_icons.py")
    written = render_icons.render(ROOT / "resources" / "icons" / "trunkdesk.svg", tmp_path)
    for size in (48, 128, 256):
        png = tmp_path / "hicolor" / f"{size}x{size}" / "apps" / "trunkdesk.png"
        assert png in written
        image = QImage(str(png))
        assert (image.width(), image.height()) == (size, size)
        centre = image.pixelColor(size // 2, size // 2)
        corner = image.pixelColor(0, 0)
        assert centre.alpha() == 255 and corner.alpha() == 0, "the tile is drawn, its rounded corner transparent"
    assert (tmp_path / "hicolor" / "scalable" / "apps" / "trunkdesk.svg").read_bytes() == (
        ROOT / "resources" / "icons" / "trunkdesk.svg").read_bytes()
