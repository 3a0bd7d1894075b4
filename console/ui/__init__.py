"""The Qt desk: the dispatcher's window over `console.core`.

Importing this package imports no Qt, so `trunkdesk --help` stays instant; `console.ui.app.run_desk` is the
entry point and does the heavy imports itself.
"""
