"""Every string the desk shows has its Chinese: scan console/ui for tr()/translate()/QT_TRANSLATE_NOOP calls and
check each against resources/translations/trunkdesk_zh_CN.ts; and the .ts compiles to a .qm Qt loads."""

from __future__ import annotations

import ast
import os
import re
import shutil
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTranslator

from console.ui import i18n, resources

ROOT = Path(__file__).resolve().parents[2]
UI = ROOT / "console" / "ui"
TS = ROOT / "resources" / "translations" / "trunkdesk_zh_CN.ts"
PLACEHOLDER = re.compile(r"%\d|\{\w+\}")


def _literal(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


class _Scanner(ast.NodeVisitor):
    """Collects (context, source) pairs, and calls whose context or text cannot be known statically."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.classes: list[str] = []
        self.found: set[tuple[str, str]] = set()
        self.problems: list[str] = []

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.classes.append(node.name)
        self.generic_visit(node)
        self.classes.pop()

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        where = f"{self.path.relative_to(ROOT)}:{node.lineno}"
        if isinstance(func, ast.Attribute) and func.attr == "tr":
            text = _literal(node.args[0]) if node.args else None
            if not (isinstance(func.value, ast.Name) and func.value.id == "self") or not self.classes:
                self.problems.append(f"{where}: tr() on something other than self (lupdate cannot tell its context)")
            elif text is None:
                self.problems.append(f"{where}: tr() of a non-literal")
            else:
                self.found.add((self.classes[-1], text))
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name in ("translate", "QT_TRANSLATE_NOOP") and len(node.args) >= 2:
            context, text = _literal(node.args[0]), _literal(node.args[1])
            if context is not None and text is not None:
                self.found.add((context, text))
            elif name == "QT_TRANSLATE_NOOP":
                self.problems.append(f"{where}: QT_TRANSLATE_NOOP of a non-literal")
        self.generic_visit(node)


def scan_sources() -> tuple[set[tuple[str, str]], list[str]]:
    found: set[tuple[str, str]] = set()
    problems: list[str] = []
    for path in sorted(UI.rglob("*.py")):
        scanner = _Scanner(path)
        scanner.visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
        found |= scanner.found
        problems += scanner.problems
    return found, problems


def read_ts(path: Path = TS) -> dict[tuple[str, str], str]:
    """(context, source) → translation, for finished translations only."""
    done: dict[tuple[str, str], str] = {}
    for context in ET.parse(path).getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            translation = message.find("translation")
            if translation is None or translation.get("type") in ("unfinished", "obsolete", "vanished"):
                continue
            if (translation.text or "").strip():
                done[(name, message.findtext("source") or "")] = translation.text or ""
    return done


def test_every_ui_string_has_a_chinese_translation() -> None:
    found, problems = scan_sources()
    assert not problems, "\n".join(problems)
    assert len(found) > 50  # the scan works: the shell alone has dozens of strings
    translated = read_ts()
    missing = sorted(found - translated.keys())
    assert not missing, "no Chinese in trunkdesk_zh_CN.ts for:\n" + "\n".join(f"  [{c}] {s}" for c, s in missing)


def test_translations_keep_placeholders_and_are_chinese() -> None:
    for (context, source), translation in read_ts().items():
        assert sorted(PLACEHOLDER.findall(source)) == sorted(PLACEHOLDER.findall(translation)), (context, source)
        assert ("&" in source) == ("&" in translation), f"accelerator lost: [{context}] {source}"
        assert re.search(r"[\u4e00-\u9fff]", translation), f"not Chinese: [{context}] {source} → {translation}"


@pytest.fixture
def resources_copy(tmp_path: Path) -> Iterator[Path]:
    """A private copy of the resources folder (so compiling writes nowhere else)."""
    copy = tmp_path / "resources"
    (copy / "themes").mkdir(parents=True)
    shutil.copy(ROOT / "resources" / "themes" / "dark.qss", copy / "themes")
    shutil.copytree(ROOT / "resources" / "translations", copy / "translations",
                    ignore=shutil.ignore_patterns("*.qm"))
    old = os.environ.get("TRUNKDESK_RESOURCES")
    os.environ["TRUNKDESK_RESOURCES"] = str(copy)
    resources.resources_dir.cache_clear()
    yield copy
    if old is None:
        del os.environ["TRUNKDESK_RESOURCES"]
    else:
        os.environ["TRUNKDESK_RESOURCES"] = old
    resources.resources_dir.cache_clear()


def test_ensure_compiled_builds_a_qm_qt_loads_and_rebuilds_only_when_the_ts_is_newer(resources_copy: Path) -> None:
    qm = i18n.ensure_compiled("zh_CN")
    assert qm == resources_copy / "translations" / "trunkdesk_zh_CN.qm"
    translator = QTranslator()
    assert translator.load(str(qm))
    assert translator.translate("Panes", "Stations") == "车站"
    assert translator.translate("InstanceBadge", "active") == "主用"

    built = qm.stat().st_mtime_ns
    assert i18n.ensure_compiled("zh_CN") == qm
    assert qm.stat().st_mtime_ns == built  # fresh: not compiled again

    ts = resources_copy / "translations" / "trunkdesk_zh_CN.ts"
    later = time.time() + 5
    os.utime(ts, (later, later))
    i18n.ensure_compiled("zh_CN")
    assert qm.stat().st_mtime_ns != built


def test_ensure_compiled_says_when_a_language_has_no_source(resources_copy: Path) -> None:
    with pytest.raises(i18n.TranslationsUnavailable):
        i18n.ensure_compiled("fr_FR")
