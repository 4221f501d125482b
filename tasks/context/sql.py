"""The `sql` provider: one parameterized query against a SQLAlchemy URL (an embedded SQLite
file by default, PostgreSQL in production), the asking customer's id bound, never formatted."""

from __future__ import annotations

import math
import re
import sqlite3
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from tasks.context.blocks import ProviderError, rows_text
from tasks.context_sections import ContextParams, SqlProviderParams

BINDABLE = ("customer_id", "at")  # all a query is given: the asking customer and the moment
SQLITE_STEPS = 1000  # SQLite VM steps between deadline checks


class SqlProvider:
    def __init__(self, p: SqlProviderParams, section: ContextParams) -> None:
        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        self.p = p
        self.timeout_s = p.timeout_s or section.timeout_s
        self.max_rows = p.max_rows or section.max_rows
        self.no_rows = section.no_rows_text
        self.binds = [name for name in BINDABLE if re.search(rf":{name}\b", p.query)]
        try:
            url = make_url(p.url)
        except ArgumentError:
            raise ProviderError(f"url {p.url!r} is not a SQLAlchemy URL") from None
        self.backend = url.get_backend_name()
        self.sqlite_path = Path(url.database or "") if self.backend == "sqlite" else None
        target: Any = url
        options: dict[str, Any] = {"pool_pre_ping": True}
        if self.sqlite_path is not None:
            # read-only, and never created: a missing file is a dead database, not an empty one
            target, options["creator"] = "sqlite://", self._open_sqlite
        elif self.backend == "postgresql":
            # the server itself ends a slow statement, and nothing this provider runs writes
            timeout_ms = int(self.timeout_s * 1000)
            options["connect_args"] = {
                "connect_timeout": max(1, math.ceil(self.timeout_s)),
                "options": f"-c statement_timeout={timeout_ms} -c default_transaction_read_only=on",
            }
        try:
            self.engine = create_engine(target, **options)
        except (ImportError, ArgumentError) as error:  # an unknown dialect, a missing driver
            raise ProviderError(
                f"url {url.drivername}://...: its driver cannot load ({error}); install it "
                "(PostgreSQL: pip install 'tandem[postgres]')"
            ) from None

    def _open_sqlite(self) -> sqlite3.Connection:
        assert self.sqlite_path is not None
        if not self.sqlite_path.is_file():
            raise ProviderError(f"database file {self.sqlite_path} does not exist")
        uri = f"{self.sqlite_path.resolve().as_uri()}?mode=ro"
        return sqlite3.connect(uri, uri=True, timeout=self.timeout_s, check_same_thread=False)

    def read(self, customer_id: str, at: datetime) -> str:
        from sqlalchemy import text
        from sqlalchemy.exc import SQLAlchemyError

        values: dict[str, Any] = {"customer_id": customer_id, "at": at.isoformat()}
        try:
            with self.engine.connect() as connection:
                if self.sqlite_path is not None:
                    deadline = time.monotonic() + self.timeout_s
                    raw: Any = connection.connection.driver_connection
                    # a runaway query is interrupted at its deadline, not left running
                    raw.set_progress_handler(lambda: time.monotonic() > deadline, SQLITE_STEPS)
                result = connection.execute(
                    text(self.p.query), {name: values[name] for name in self.binds}
                )
                rows = [dict(row) for row in result.mappings().fetchmany(self.max_rows)]
        except SQLAlchemyError as error:
            reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
            raise ProviderError(f"the query failed: {reason}") from None
        if self.p.columns and (missing := [c for c in self.p.columns if rows and c not in rows[0]]):
            raise ProviderError(f"the query returns no column {missing}")
        return rows_text(rows, self.p.columns, self.no_rows)

    def close(self) -> None:
        self.engine.dispose()
