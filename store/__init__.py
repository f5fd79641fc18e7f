"""Linli's persistent state: SQLAlchemy 2.0 models, sessions, queries and Alembic migrations.

Query functions take a session and never commit: the caller owns the transaction.
"""
