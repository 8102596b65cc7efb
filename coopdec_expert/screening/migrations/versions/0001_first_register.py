"""The register of the first releases: one table, profile and result as JSON text.

Registers created before migrations existed have exactly this table (made by `create_all`)
and no `alembic_version`: they are stamped with this revision, not re-created.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "screening_assessments",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("partnership_id", sa.String(200), nullable=False),
        sa.Column("profile_hash", sa.String(64), nullable=False),
        sa.Column("rules_version", sa.String(64), nullable=False),
        sa.Column("assessed_at", sa.DateTime(), nullable=False),
        sa.Column("source_file", sa.String(500), nullable=False),
        sa.Column("lang", sa.String(2), nullable=False),
        sa.Column("verdict", sa.String(40), nullable=False),
        sa.Column("next_step", sa.String(40), nullable=False),
        sa.Column("profile_json", sa.Text(), nullable=False),
        sa.Column("result_json", sa.Text(), nullable=False),
        sa.UniqueConstraint(
            "partnership_id", "profile_hash", "rules_version", name="uq_assessment"
        ),
    )
    op.create_index(
        "ix_screening_assessments_partnership_id", "screening_assessments", ["partnership_id"]
    )
    op.create_index(
        "ix_screening_assessments_assessed_at", "screening_assessments", ["assessed_at"]
    )


def downgrade() -> None:
    op.drop_table("screening_assessments")
