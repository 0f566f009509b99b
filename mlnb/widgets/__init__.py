"""Inline panels (ipywidgets + anywidget) with static fallbacks."""
