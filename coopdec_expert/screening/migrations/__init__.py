"""Alembic's migration scripts of the screening register, run by `schema.ensure_schema` (no
alembic.ini: the register is created or upgraded when a Store opens it)."""
