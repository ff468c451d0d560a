"""The quality gate: GX expectations, privacy and leakage checks, and their report."""
