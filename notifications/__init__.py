"""Outbound messaging: providers, segment counting, throttling, send tasks and campaigns."""
