"""The documents as code (spec, catalogue, checks, model, judge, the inventory format); imports nothing of the kit but errors and hints."""
