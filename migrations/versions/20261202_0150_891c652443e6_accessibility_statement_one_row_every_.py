"""accessibility statement: one row, every text in French and English

Revision ID: 891c652443e6
Revises: d4e5f6a7b802
Create Date: 2026-12-02 00:36:24.558804

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "891c652443e6"
down_revision = "d4e5f6a7b802"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "accessibility_statement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("full", "partial", "none", name="conformance", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("compliance_rate", sa.Integer(), nullable=True),
        sa.Column("audit_date", sa.Date(), nullable=True),
        sa.Column("statement_date", sa.Date(), nullable=True),
        sa.Column("contact_email", sa.String(length=254), nullable=False),
        sa.Column("service_name_fr", sa.String(length=200), nullable=False),
        sa.Column("service_name_en", sa.String(length=200), nullable=False),
        sa.Column("entity_fr", sa.String(length=200), nullable=False),
        sa.Column("entity_en", sa.String(length=200), nullable=False),
        sa.Column("audit_method_fr", sa.Text(), nullable=False),
        sa.Column("audit_method_en", sa.Text(), nullable=False),
        sa.Column("results_fr", sa.Text(), nullable=False),
        sa.Column("results_en", sa.Text(), nullable=False),
        sa.Column("non_compliant_fr", sa.Text(), nullable=False),
        sa.Column("non_compliant_en", sa.Text(), nullable=False),
        sa.Column("derogations_fr", sa.Text(), nullable=False),
        sa.Column("derogations_en", sa.Text(), nullable=False),
        sa.Column("exempt_fr", sa.Text(), nullable=False),
        sa.Column("exempt_en", sa.Text(), nullable=False),
        sa.Column("technologies_fr", sa.Text(), nullable=False),
        sa.Column("technologies_en", sa.Text(), nullable=False),
        sa.Column("environment_fr", sa.Text(), nullable=False),
        sa.Column("environment_en", sa.Text(), nullable=False),
        sa.Column("feedback_fr", sa.Text(), nullable=False),
        sa.Column("feedback_en", sa.Text(), nullable=False),
        sa.Column("recourse_fr", sa.Text(), nullable=False),
        sa.Column("recourse_en", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accessibility_statement")),
    )


def downgrade():
    op.drop_table("accessibility_statement")
