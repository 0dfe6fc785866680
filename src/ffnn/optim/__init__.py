"""Gradient methods over explicit state (init/update, chained transforms) and learning-rate
schedules."""
