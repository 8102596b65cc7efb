"""Workspaces, who stored what, and the profile and result compressed.

A served app keeps one register per workspace (a directorate or a team, set by the deployment)
and records who stored each assessment. The profile and the complete result are kept as
zlib-compressed JSON (about a fifth of their size as text), enough for `history` (the columns)
and `rescreen` (the profile). The rows of the first table are copied, compressed, into the
workspace `default`, keeping their ids (so that history keeps its order), then that table is
dropped. The whole upgrade runs in the caller's transaction: interrupted, it leaves the
register as it was.

Revision ID: 0002
Revises: 0001
"""

import zlib

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

DEFAULT_WORKSPACE = "default"
COPY_PAGE = 500  # rows read at once while copying (a result is ~25 KB as text)
COMMON = (
    "id",
    "partnership_id",
    "profile_hash",
    "rules_version",
    "assessed_at",
    "source_file",
    "lang",
    "verdict",
    "next_step",
)


def _pack(text: str) -> bytes:
    return zlib.compress(text.encode("utf-8"), 9)


def upgrade() -> None:
    table = op.create_table(
        "coopdec_assessments",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("workspace", sa.String(64), nullable=False),
        sa.Column("partnership_id", sa.String(200), nullable=False),
        sa.Column("profile_hash", sa.String(64), nullable=False),
        sa.Column("rules_version", sa.String(64), nullable=False),
        sa.Column("assessed_at", sa.DateTime(), nullable=False),
        sa.Column("source_file", sa.String(500), nullable=False),
        sa.Column("lang", sa.String(2), nullable=False),
        sa.Column("verdict", sa.String(40), nullable=False),
        sa.Column("next_step", sa.String(40), nullable=False),
        sa.Column("user_id", sa.String(200), nullable=True),
        sa.Column("profile_z", sa.LargeBinary(), nullable=False),
        sa.Column("result_z", sa.LargeBinary(), nullable=False),
        # Also the index of history (workspace, partnership) and of rescreen's latest records.
        sa.UniqueConstraint(
            "workspace",
            "partnership_id",
            "profile_hash",
            "rules_version",
            name="uq_coopdec_assessment",
        ),
    )
    connection = op.get_bind()
    old = sa.table(  # typed as 0001 made it: SQLite keeps times as text, read back here
        "screening_assessments",
        sa.column("id", sa.Integer()),
        sa.column("partnership_id", sa.String()),
        sa.column("profile_hash", sa.String()),
        sa.column("rules_version", sa.String()),
        sa.column("assessed_at", sa.DateTime()),
        sa.column("source_file", sa.String()),
        sa.column("lang", sa.String()),
        sa.column("verdict", sa.String()),
        sa.column("next_step", sa.String()),
        sa.column("profile_json", sa.Text()),
        sa.column("result_json", sa.Text()),
    )
    last = 0
    copied = 0
    while True:
        rows = connection.execute(
            sa.select(old).where(old.c.id > last).order_by(old.c.id).limit(COPY_PAGE)
        ).all()
        if not rows:
            break
        connection.execute(
            table.insert(),
            [
                {
                    **{name: getattr(row, name) for name in COMMON},
                    "workspace": DEFAULT_WORKSPACE,
                    "user_id": None,
                    "profile_z": _pack(row.profile_json),
                    "result_z": _pack(row.result_json),
                }
                for row in rows
            ],
        )
        last = rows[-1].id
        copied += len(rows)
    if copied and connection.dialect.name == "postgresql":  # ids were given: move the sequence
        connection.exec_driver_sql(
            "SELECT setval(pg_get_serial_sequence('coopdec_assessments', 'id'), "
            "(SELECT max(id) FROM coopdec_assessments))"
        )
    op.drop_table("screening_assessments")


def downgrade() -> None:
    raise NotImplementedError("the register is not downgraded: restore a backup instead")
