"""Widgets of the desk that are not panes (they sit in the window itself)."""
