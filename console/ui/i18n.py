"""Translations: compile ``resources/translations/*.ts`` to ``.qm`` on demand and switch language at runtime.

The repository stores only the ``.ts`` sources. `ensure_compiled` runs ``lrelease`` (PySide6's bundled one) when
a ``.qm`` is missing or older than its ``.ts``, into the resources folder or, when that is read-only, the user's
cache. `Languages` installs the translators; Qt then sends every widget a ``LanguageChange`` event and widgets
re-read their strings in ``retranslate()``.

Adding strings: write them as ``self.tr("...")`` in a widget class (its class name is the context), or
``QCoreApplication.translate("Context", "...")``, or mark constants with this module's `QT_TRANSLATE_NOOP`; then
``pyside6-lupdate console/ui/*.py console/ui/panes/*.py -ts resources/translations/trunkdesk_zh_CN.ts
-locations none -no-obsolete`` and translate the new entries (``pyside6-linguist``, or by hand).
``tests/ui/test_translations.py`` fails while any string lacks its Chinese. Placeholders are ``%1``, ``%2``,
replaced with ``str.replace`` after translation.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
from pathlib import Path

from platformdirs import user_cache_dir
from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QObject, QTranslator, Signal

from console.ui.resources import resource_path

logger = logging.getLogger(__name__)

#: the languages the desk speaks: code → name in that language (menu entries are never translated)
LANGUAGES: dict[str, str] = {"zh_CN": "中文", "en": "English"}
#: the language the source strings are written in
SOURCE_LANGUAGE = "en"
CATALOGUE = "trunkdesk"


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:
    """Mark ``text`` for translation in ``context`` without translating it now (``lupdate`` knows this name;
    PySide6's own is typed as returning ``object``)."""
    return text


class TranslationsUnavailable(RuntimeError):
    """No ``lrelease`` was found, or it failed: the desk falls back to English."""


def ts_path(language: str) -> Path:
    """The translation source of ``language`` (e.g. ``resources/translations/trunkdesk_zh_CN.ts``)."""
    return resource_path("translations", f"{CATALOGUE}_{language}.ts")


def _cache_dir() -> Path:
    return Path(user_cache_dir("trunkdesk")) / "translations"


def qm_candidates(language: str) -> list[Path]:
    """Where the compiled catalogue of ``language`` may be: next to the ``.ts``, else in the user's cache."""
    name = f"{CATALOGUE}_{language}.qm"
    return [ts_path(language).with_name(name), _cache_dir() / name]


def find_lrelease() -> list[str]:
    """The command line that runs ``lrelease`` (the venv's ``pyside6-lrelease``, PySide6's own, or the system's)."""
    here = Path(sys.executable).parent / "pyside6-lrelease"
    if here.is_file():
        return [str(here)]
    if found := shutil.which("pyside6-lrelease"):
        return [found]
    try:
        import PySide6

        bundled = Path(PySide6.__file__).parent / "lrelease"
        if bundled.is_file():
            return [str(bundled)]
    except ImportError:  # pragma: no cover - the desk needs PySide6 anyway
        pass
    if found := shutil.which("lrelease"):
        return [found]
    raise TranslationsUnavailable("lrelease not found (install PySide6, or Qt's linguist tools)")


def _fresh(qm: Path, ts: Path) -> bool:
    return qm.is_file() and qm.stat().st_mtime >= ts.stat().st_mtime


def ensure_compiled(language: str = "zh_CN", *, force: bool = False) -> Path:
    """The up-to-date ``.qm`` of ``language``, compiling its ``.ts`` first when needed (or when ``force``)."""
    ts = ts_path(language)
    if not ts.is_file():
        raise TranslationsUnavailable(f"no translation source for {language}: {ts}")
    candidates = qm_candidates(language)
    if not force:
        for qm in candidates:
            if _fresh(qm, ts):
                return qm
    try:
        command = find_lrelease()
    except TranslationsUnavailable:
        # a bundle or an install without lrelease: a .qm copied after its .ts only looks stale, and still serves
        for qm in candidates:
            if qm.is_file():
                logger.info("no lrelease; using %s as it is", qm)
                return qm
        raise
    errors = []
    for qm in candidates:
        try:
            qm.parent.mkdir(parents=True, exist_ok=True)
            done = subprocess.run([*command, "-silent", str(ts), "-qm", str(qm)],
                                  capture_output=True, text=True, timeout=60, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            errors.append(f"{qm}: {exc}")
            continue
        if done.returncode == 0 and qm.is_file():
            logger.info("compiled %s → %s", ts.name, qm)
            return qm
        errors.append(f"{qm}: lrelease exit {done.returncode}: {(done.stderr or done.stdout).strip()}")
    raise TranslationsUnavailable("; ".join(errors))


def system_language() -> str:
    """``zh_CN`` when the system locale is Chinese (any script or country), else English."""
    return "zh_CN" if QLocale.system().language() == QLocale.Language.Chinese else SOURCE_LANGUAGE


class Languages(QObject):
    """Installs and swaps the application's translators (ours plus Qt's own for standard buttons)."""

    languageChanged = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._translators: list[QTranslator] = []
        self._language = SOURCE_LANGUAGE

    @property
    def language(self) -> str:
        return self._language

    def set_language(self, language: str) -> bool:
        """Switch every visible string to ``language``; False (and English) when its catalogue cannot load."""
        if language not in LANGUAGES:
            raise ValueError(f"unknown language {language!r}; known: {', '.join(LANGUAGES)}")
        app = QCoreApplication.instance()
        if app is None:
            raise RuntimeError("create the QApplication before choosing a language")
        for translator in self._translators:
            QCoreApplication.removeTranslator(translator)
        self._translators.clear()
        loaded = True
        if language != SOURCE_LANGUAGE:
            loaded = self._install(language)
        effective = language if loaded else SOURCE_LANGUAGE
        QLocale.setDefault(QLocale(effective))
        changed = effective != self._language
        self._language = effective
        if changed:
            self.languageChanged.emit(effective)
        return loaded

    def _install(self, language: str) -> bool:
        try:
            qm = ensure_compiled(language)
        except TranslationsUnavailable as exc:
            logger.warning("no %s translation, staying in English: %s", language, exc)
            return False
        ours = QTranslator(self)
        if not ours.load(str(qm)):
            logger.warning("cannot load %s, staying in English", qm)
            return False
        qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
        qtbase = QTranslator(self)
        for translator in (ours, qtbase):
            if translator is qtbase and not qtbase.load(f"qtbase_{language}", qt_dir):
                continue  # Qt's own strings (OK, Cancel) stay English: not worth failing over
            QCoreApplication.installTranslator(translator)
            self._translators.append(translator)
        return True
