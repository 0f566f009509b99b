"""Inline panels (ipywidgets + anywidget) with static fallbacks.

``notify_run_finished(run_id)`` is the hook whoever ends a tracked run calls (the ``%%track``
magic does); it is stdlib-only, so calling it costs nothing when no panel is open.
"""

from mlnb.widgets._base import notify_run_finished

__all__ = ["notify_run_finished"]
