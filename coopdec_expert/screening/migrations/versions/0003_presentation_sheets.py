"""Presentation sheets (partner matching): every version of a local government's sheet.

A directorate keeps the sheets of the local governments it brings together; each import or save
of a sheet that changed adds a version (the unique key (workspace, sheet id, hash) makes storing
the same sheet again a no-op), so a sheet's history is kept and matching reads the latest one.
The sheet is kept as zlib-compressed JSON, with the columns a listing needs.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "coopdec_sheets",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("workspace", sa.String(64), nullable=False),
        sa.Column("sheet_id", sa.String(200), nullable=False),
        sa.Column("sheet_hash", sa.String(64), nullable=False),
        sa.Column("side", sa.String(5), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("country", sa.String(100), nullable=False),
        sa.Column("stored_at", sa.DateTime(), nullable=False),
        sa.Column("source_file", sa.String(500), nullable=False),
        sa.Column("user_id", sa.String(200), nullable=True),
        sa.Column("sheet_z", sa.LargeBinary(), nullable=False),
        # Also the index of a sheet's history and of the latest version of each sheet.
        sa.UniqueConstraint("workspace", "sheet_id", "sheet_hash", name="uq_coopdec_sheet"),
    )


def downgrade() -> None:
    raise NotImplementedError("the register is not downgraded: restore a backup instead")
