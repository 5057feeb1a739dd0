"""Alembic environment for the indexer's tables (own version table, own metadata only).

Run programmatically by `indexer.sink.db.migrate`, or by hand:
`alembic -c indexer/migrations/alembic.ini -x db=URL upgrade head`.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from indexer.migrations.env_metadata import target_metadata

#: Its own version table, so other packages' Alembic histories can share the database.
VERSION_TABLE = "indexer_alembic_version"


def _include_object(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
    # Other packages' tables may live in the same database: ignore them.
    if type_ == "table":
        return name in target_metadata.tables
    return True


def run_migrations() -> None:
    config = context.config
    connection = config.attributes.get("connection")
    if connection is None:
        url = context.get_x_argument(as_dictionary=True).get("db") or config.get_main_option(
            "sqlalchemy.url"
        )
        if not url:
            raise SystemExit("give the database: alembic ... -x db=URL upgrade head")
        from indexer.sink.db import normalise_url

        engine = create_engine(normalise_url(url))
        with engine.begin() as owned:
            _configure_and_run(owned)
        return
    _configure_and_run(connection)


def _configure_and_run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table=VERSION_TABLE,
        include_object=_include_object,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
