"""Widgets of the desk that are not panes: the line diagram, the emergency banner."""
