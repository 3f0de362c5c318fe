"""Loaders, store and metric engines on real files and a fresh database (SQLite, PostgreSQL)."""
