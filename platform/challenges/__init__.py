"""Challenges: a dataset version, a task, a metric, phases and limits, defined in YAML."""
