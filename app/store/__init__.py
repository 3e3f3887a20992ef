"""SQLite store: SQLAlchemy tables, Alembic migrations, repositories and the search index."""
