"""The evidence of a run: what it sent and received, and the verifiable bundle made of it."""
