"""Repositories: every query the service makes, grouped by the table it is about."""
