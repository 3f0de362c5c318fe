"""Storage: the typed ORM models, Alembic migrations, the engine, write lock, batches, settings
and the audit log."""
