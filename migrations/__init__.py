"""Alembic migrations (batch mode on SQLite)."""
