"""Sink: the mirror's SQL tables, migrations, and range writes with the checkpoint in the
same transaction."""
