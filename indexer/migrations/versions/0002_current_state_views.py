"""Current-state views derived from the history tables: latest status per enterprise,
latest role per account, latest state per recall subject.

Views, not tables: they hold nothing the history tables do not, so a reorg or an audit
never has to reconcile them. ROW_NUMBER() needs SQLite >= 3.25 (Python 3.11 ships newer).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_VIEWS = {
    # Latest status-changing event per enterprise, with the current signing key.
    "chain_enterprise_status": """
        SELECT e.enterprise_id, s.status, s.change AS last_status_change,
               s.block_number AS status_block_number, k.signing_key, s.final
        FROM chain_enterprises e
        JOIN (SELECT enterprise_id, status, change, block_number, final,
                     ROW_NUMBER() OVER (PARTITION BY enterprise_id
                                        ORDER BY block_number DESC, log_index DESC) AS position
              FROM chain_enterprise_history WHERE status IS NOT NULL) s
          ON s.enterprise_id = e.enterprise_id AND s.position = 1
        JOIN (SELECT enterprise_id, signing_key,
                     ROW_NUMBER() OVER (PARTITION BY enterprise_id
                                        ORDER BY block_number DESC, log_index DESC) AS position
              FROM chain_enterprise_history WHERE signing_key IS NOT NULL) k
          ON k.enterprise_id = e.enterprise_id AND k.position = 1
    """,
    # Latest role change per account: `change` = granted means the account holds `role`.
    "chain_account_roles": """
        SELECT account, role, change AS last_change, enterprise_id, block_number, final
        FROM (SELECT account, role, change, enterprise_id, block_number, final,
                     ROW_NUMBER() OVER (PARTITION BY account
                                        ORDER BY block_number DESC, log_index DESC, entry DESC) AS position
              FROM chain_role_history) latest
        WHERE position = 1
    """,
    # Latest event per recall subject.
    "chain_recall_status": """
        SELECT subject, sequence, status, recall_class, reason_hash, enterprise_id, issuer,
               block_number, final
        FROM (SELECT subject, sequence, status,
                     COALESCE(recall_class, (SELECT h.recall_class FROM chain_recall_history h
                                              WHERE h.subject = r.subject AND h.sequence = r.sequence
                                                AND h.recall_class IS NOT NULL
                                              ORDER BY h.block_number DESC, h.log_index DESC
                                              LIMIT 1)) AS recall_class,
                     reason_hash, enterprise_id, issuer, block_number, final,
                     ROW_NUMBER() OVER (PARTITION BY subject
                                        ORDER BY block_number DESC, log_index DESC) AS position
              FROM chain_recall_history r) latest
        WHERE position = 1
    """,
}


def upgrade() -> None:
    for name, query in _VIEWS.items():
        op.execute(f"CREATE VIEW {name} AS {query}")


def downgrade() -> None:
    for name in reversed(list(_VIEWS)):
        op.execute(f"DROP VIEW {name}")
