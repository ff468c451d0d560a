"""Seeded generators for datasets that cannot be published from real records."""
