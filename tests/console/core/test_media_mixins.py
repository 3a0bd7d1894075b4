"""`DeskMedia` is assembled from mixins (media_restore, media_sfu, media_talk, media_tiles, media_voice, media_audio,
media_pictures); each declares what it uses of `DeskMedia` and of the other mixins as a stub that raises
`NotImplementedError`. A stub earlier in the bases than the real method would win silently, and a loop would die
at its first turn (logged, not raised). These tests check that `DeskMedia` resolves every stub to a real method,
and that the check itself catches a wrong order of bases.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from typing import Any

from console.core import media_audio, media_desk
from console.core.media_desk import DeskMedia
from console.core.media_talk import SfuTalk
from console.core.media_voice import VoiceLinks


def _function(member: Any) -> Any:
    if isinstance(member, property):
        return member.fget
    if isinstance(member, staticmethod | classmethod):
        return member.__func__
    return member if inspect.isfunction(member) else None


def _is_stub(member: Any) -> bool:
    """Whether ``member`` is a function (or property) whose only statement raises `NotImplementedError`."""
    function = _function(member)
    if function is None:
        return False
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    definition = tree.body[0]
    assert isinstance(definition, ast.FunctionDef | ast.AsyncFunctionDef)
    body = [statement for statement in definition.body
            if not (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant))]
    if len(body) != 1 or not isinstance(body[0], ast.Raise) or body[0].exc is None:
        return False
    raised = body[0].exc
    name = raised.func if isinstance(raised, ast.Call) else raised
    return isinstance(name, ast.Name) and name.id == "NotImplementedError"


def _stubs_left(cls: type) -> dict[str, str]:
    """Every name some base of ``cls`` declares as a stub, with the class whose stub ``cls`` resolves it to."""
    left: dict[str, str] = {}
    for base in cls.__mro__[1:]:
        for name, member in vars(base).items():
            if _is_stub(member) and _is_stub(inspect.getattr_static(cls, name)):
                owner = next(k for k in cls.__mro__ if name in vars(k))
                left[name] = owner.__name__
    return left


def _stubs_declared(cls: type) -> set[str]:
    return {name for base in cls.__mro__ for name, member in vars(base).items() if _is_stub(member)}


def test_desk_media_resolves_every_stub_of_its_mixins() -> None:
    declared = _stubs_declared(DeskMedia)
    # not vacuous: stubs for DeskMedia's own methods and for the other mixins' (the voice loop keys the SFU
    # publication, the picture loop fails overdue tiles)
    assert {"start", "_spawn", "_stop", "_key_publication", "talking_through_sfu", "_fail_overdue",
            "_stale_answer", "_ask"} <= declared
    assert _stubs_left(DeskMedia) == {}


def test_the_check_catches_a_stub_that_wins() -> None:
    wrong = type("Wrong", (VoiceLinks, SfuTalk), {})  # VoiceLinks' stub of SfuTalk's methods first
    left = _stubs_left(wrong)
    assert left["_key_publication"] == "VoiceLinks"
    assert left["talking_through_sfu"] == "VoiceLinks"
    assert "_on_publication" not in left  # a real method of SfuTalk's is not a stub


def test_public_names_stay_importable_from_media_desk() -> None:
    for name in media_desk.__all__:
        assert hasattr(media_desk, name), name
    assert media_desk.AUDIO_TICK is media_audio.AUDIO_TICK
    # the methods other modules call on a desk's media (sound.py, desk_recordings.py, desk_commands.py, the panes)
    for name in ("play", "ensure_audio", "start", "close", "handle", "floor_event", "pull_video", "focus", "hide",
                 "show", "retry", "read_tile", "is_voice", "epoch_seen", "reattached"):
        assert not _is_stub(inspect.getattr_static(DeskMedia, name)), name
