"""The pytest plugin (hooks, fixtures, options and presets, report writing, xdist hand-off); never imports cli."""
