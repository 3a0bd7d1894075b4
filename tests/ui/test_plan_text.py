"""The plan texts use the words of their own translation context: step states, event kinds and places of a
plan are in Chinese when the desk speaks Chinese (they were once looked up in the wrong context and stayed
English)."""

from __future__ import annotations

from types import SimpleNamespace

from console.ui.i18n import Languages
from console.ui.panes.plan_text import PROPOSAL_STATES, plan_word, state_text, trigger_text


def _trigger() -> SimpleNamespace:
    return SimpleNamespace(event="train_stopped", places=("station",), stations=(), codes=(), sources=(),
                           min_severity=None, alert_kinds=(), terminal_kinds=(), stopped_for=120.0,
                           stop_place="between")


def test_plan_words_follow_the_desk_language(languages: Languages) -> None:
    assert state_text(SimpleNamespace(state="running", reason="")) == "Running…"
    assert "train stopped" in trigger_text(_trigger())
    languages.set_language("zh_CN")
    assert state_text(SimpleNamespace(state="running", reason="")) == "执行中…"
    trigger = trigger_text(_trigger())
    assert "列车停车" in trigger and "train stopped" not in trigger
    assert plan_word(PROPOSAL_STATES, "open") == "已提议"
    assert plan_word(PROPOSAL_STATES, "unheard_of") == "unheard_of"
