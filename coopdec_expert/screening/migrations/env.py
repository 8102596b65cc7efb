"""Alembic's environment for the register: always given a connection, already in the
transaction that holds the schema lock (see coopdec_expert/screening/schema.py)."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None)
with context.begin_transaction():  # a no-op inside the caller's transaction
    context.run_migrations()
