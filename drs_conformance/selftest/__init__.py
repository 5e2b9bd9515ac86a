"""The kill matrix (`drs-conformance selftest`), its runner and the plugin of each row."""
