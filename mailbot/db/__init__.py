"""Database access: the engine, sessions and migrations."""
