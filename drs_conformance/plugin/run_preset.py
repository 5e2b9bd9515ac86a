"""`RunPreset`: what `drs-conformance run` hands the pytest plugin (options and deviations it already read and
checked) and what the plugin hands back (a fatal error, the exit code, jobs left paused).

The CLI passes it to `pytest.main(plugins=[preset])`; pluggy registers a plugin object under its `__name__`, so it
is registered as `PRESET_PLUGIN` and the plugin (and `LiveRun`) read it by that name with `preset_of(config)`.
`pytest suites/` has none: the plugin resolves the options itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from drs_conformance.errors import KitError
from drs_conformance.plugin.options import KitOptions

if TYPE_CHECKING:
    import pytest

    from drs_conformance.reporting.deviations import Deviations

__all__ = ["PRESET_PLUGIN", "RunPreset", "preset_of"]

PRESET_PLUGIN = "drs-conformance-preset"


@dataclass
class RunPreset:
    """The CLI's side of a suite run: what it resolved before pytest started, and what the run reports back."""

    __name__: ClassVar[str] = PRESET_PLUGIN  # the name pluggy registers this plugin object under

    options: KitOptions
    deviations: Deviations | None = None  # --known-deviations, read by the CLI already (a bad file: exit 2 first)
    fatal: KitError | None = None  # a kit error that stopped the run (set by the plugin; the CLI raises it)
    exit_code: int | None = None  # set by the plugin once it judged the run and wrote the reports
    left_paused: str = ""  # jobs not put back at the end, and the restore command (set by live_run.LiveRun)


def preset_of(config: pytest.Config) -> RunPreset | None:
    """The run's preset, if `drs-conformance run` started this pytest session."""
    plugin = config.pluginmanager.get_plugin(PRESET_PLUGIN)
    return plugin if isinstance(plugin, RunPreset) else None
