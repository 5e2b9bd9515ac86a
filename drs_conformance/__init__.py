"""drs-conformance: contract and conformance test kit for DRS batch-pause-task."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
