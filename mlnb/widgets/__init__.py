"""Inline panels (ipywidgets + anywidget) with static fallbacks.

Open panels refresh when a run ends: they subscribe to :mod:`mlnb.tracking.events` (see
:mod:`mlnb.widgets._base`), so nothing that ends a run needs to know about them.
"""
