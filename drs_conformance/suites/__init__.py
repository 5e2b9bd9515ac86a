"""The conformance suites: run them with `drs-conformance run` (or `pytest suites/`)."""
