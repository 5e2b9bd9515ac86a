"""The contract as OpenAPI 3.1, shipped with the kit as package data."""
