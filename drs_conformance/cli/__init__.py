"""The `drs-conformance` command, a module per command; nothing in the kit imports it."""
