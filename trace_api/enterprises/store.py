"""Tables of the enterprises package: `api_enterprises` and `api_enterprise_actions`.

The chain is the authority on status and signing key; these rows hold what the chain
does not (name, USCC, GLNs, custody, the encrypted custodial key, reasons) and a copy of
status and key that the API's own transactions keep current.
"""

from __future__ import annotations

import json

from sqlalchemy import BigInteger, Engine
from sqlmodel import Field, Session, SQLModel, select


class EnterpriseRow(SQLModel, table=True):
    """One registered enterprise."""

    __tablename__ = "api_enterprises"

    enterprise_id: str = Field(primary_key=True, max_length=66)
    uscc: str = Field(unique=True, max_length=18)
    name: str = Field(max_length=200)
    sectors_json: str
    prefixes_json: str
    glns_json: str
    custody: str = Field(max_length=16)  # "self" | "custodial"
    signing_address: str = Field(max_length=42)
    encrypted_key: bytes | None = None
    # A custodial rotation in flight: written before the transaction is sent, promoted once
    # the chain names this address, so a crash between the two never loses the new key.
    pending_address: str | None = Field(default=None, max_length=42)
    pending_encrypted_key: bytes | None = None
    status: str = Field(max_length=16)  # registering | active | suspended | revoked
    registered_at_ms: int = Field(sa_type=BigInteger)
    registration_tx: str | None = Field(default=None, max_length=66)
    updated_at_ms: int = Field(sa_type=BigInteger)

    @property
    def sectors(self) -> list[str]:
        return list(json.loads(self.sectors_json))

    @property
    def prefixes(self) -> list[str]:
        return list(json.loads(self.prefixes_json))

    @property
    def glns(self) -> list[str]:
        return list(json.loads(self.glns_json))


class EnterpriseActionRow(SQLModel, table=True):
    """What happened to an enterprise on chain: registered, suspended, reinstated, key-rotated."""

    __tablename__ = "api_enterprise_actions"

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: str = Field(index=True, max_length=66)
    action: str = Field(max_length=32)
    reason: str | None = None
    reason_hash: str | None = Field(default=None, max_length=66)
    actor: str = Field(max_length=240)
    transaction_hash: str | None = Field(default=None, max_length=66)
    block_number: int | None = Field(default=None, sa_type=BigInteger)
    at_ms: int = Field(sa_type=BigInteger)


def get_enterprise(engine: Engine, enterprise_id: str) -> EnterpriseRow | None:
    """The row of `enterprise_id` (any status), or None."""
    with Session(engine) as session:
        return session.get(EnterpriseRow, enterprise_id)


def find_by_uscc(engine: Engine, uscc: str) -> EnterpriseRow | None:
    with Session(engine) as session:
        return session.exec(select(EnterpriseRow).where(EnterpriseRow.uscc == uscc)).first()


def all_company_prefixes(engine: Engine) -> list[str]:
    """Every GS1 Company Prefix any enterprise row lists (to find prefixes nested in others)."""
    with Session(engine) as session:
        rows = session.exec(select(EnterpriseRow.prefixes_json)).all()
    return [prefix for prefixes_json in rows for prefix in json.loads(prefixes_json)]


def list_enterprises(engine: Engine, *, status: str | None = None, limit: int, offset: int,
                     ) -> list[EnterpriseRow]:
    statement = select(EnterpriseRow).where(EnterpriseRow.status != "registering")
    if status is not None:
        statement = statement.where(EnterpriseRow.status == status)
    statement = statement.order_by(EnterpriseRow.registered_at_ms, EnterpriseRow.enterprise_id)  # type: ignore[arg-type]
    with Session(engine) as session:
        return list(session.exec(statement.offset(offset).limit(limit)).all())


def list_actions(engine: Engine, enterprise_id: str) -> list[EnterpriseActionRow]:
    statement = (select(EnterpriseActionRow)
                 .where(EnterpriseActionRow.enterprise_id == enterprise_id)
                 .order_by(EnterpriseActionRow.id))  # type: ignore[arg-type]
    with Session(engine) as session:
        return list(session.exec(statement).all())
