"""The reference peer: the "My claims" view as a typical Python MCP server would serve it.

Written the way a careful developer would with the official SDK (mcp 2.x, ``MCPServer``), so the
benchmark compares Formwork with a fair alternative rather than a strawman:

- Streamable HTTP, stateless, JSON responses, served by uvicorn (see serve.py);
- bearer tokens checked by the SDK's auth middleware against Formwork's own ``tokens`` table (only
  the SHA-256 hex of a token is stored there), with expiry, revocation and disabled users honoured;
- the same SQLite file as Formwork, opened read-only, one connection per worker thread;
- every filter in SQL with ``json_extract`` written exactly like Formwork's expression indexes, so
  SQLite uses the same indexes; ``limit + 1`` rows fetched to know whether a next page exists
  (no COUNT query);
- rows returned as full JSON (the record's columns and its parsed ``data``), as such servers do.

Configuration (environment): PEER_DB (path of the SQLite file, required), PEER_URL (this server's
public URL, for the auth metadata; default http://127.0.0.1:8000).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sqlite3
import threading
from datetime import date, datetime, timezone
from typing import Annotated, Any, Literal

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken, TokenVerifier
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations
from pydantic import Field

DB_PATH = os.environ["PEER_DB"]
BASE_URL = os.environ.get("PEER_URL", "http://127.0.0.1:8000")
APP_SLUG = "expense_claims"

_local = threading.local()


def db() -> sqlite3.Connection:
    """This thread's read-only connection (sqlite3 connections are not shared across threads)."""
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = sqlite3.connect(f"file:{DB_PATH}?mode=ro", uri=True)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA busy_timeout = 5000")
        _local.conn = conn
    return conn


def _app_id() -> int:
    row = db().execute("SELECT id FROM apps WHERE slug = ?", (APP_SLUG,)).fetchone()
    if row is None:
        raise SystemExit(f"no app {APP_SLUG!r} in {DB_PATH}")
    return int(row["id"])


APP_ID = _app_id()


class DatabaseTokenVerifier(TokenVerifier):
    """Personal access tokens as Formwork stores them: SHA-256 hex in tokens.token_hash."""

    async def verify_token(self, token: str) -> AccessToken | None:
        if not token or len(token) > 200:
            return None
        digest = hashlib.sha256(token.encode()).hexdigest()
        row = (
            db()
            .execute(
                "SELECT t.user_id, t.kind, t.expires_at, t.revoked_at, u.disabled "
                "FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?",
                (digest,),
            )
            .fetchone()
        )
        if row is None or row["kind"] not in ("pat", "access") or row["revoked_at"] or row["disabled"]:
            return None
        expires_at = None
        if row["expires_at"]:
            expires = datetime.fromisoformat(row["expires_at"])
            if expires <= datetime.now(timezone.utc):
                return None
            expires_at = int(expires.timestamp())
        return AccessToken(
            token=token,
            client_id="pat",
            scopes=[],
            expires_at=expires_at,
            subject=str(row["user_id"]),
        )


mcp = MCPServer(
    "expense-claims",
    instructions="Expense claims: list your own claims.",
    token_verifier=DatabaseTokenVerifier(),
    auth=AuthSettings(
        issuer_url=BASE_URL,
        resource_server_url=f"{BASE_URL}/mcp",
        validate_token_resource=False,
    ),
)


def _cursor_offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        return max(0, int(base64.urlsafe_b64decode(cursor.encode()).decode()))
    except ValueError as e:
        raise ValueError("cursor is not one this server gave out") from e


def _escape_like(s: str) -> str:
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@mcp.tool(annotations=ToolAnnotations(readOnlyHint=True, openWorldHint=False))
def expense_claims_my_claims(
    status: Literal["Draft", "Submitted", "Approved", "Rejected"] | None = None,
    date_from: Annotated[date | None, Field(description="Expense date on or after (YYYY-MM-DD)")] = None,
    date_to: Annotated[date | None, Field(description="Expense date on or before (YYYY-MM-DD)")] = None,
    supplier: Annotated[str | None, Field(max_length=200, description="Supplier name contains")] = None,
    limit: Annotated[int, Field(ge=1, le=200, description="Rows per page")] = 25,
    cursor: Annotated[str | None, Field(description="next_cursor of the previous page")] = None,
) -> dict[str, Any]:
    """List the caller's own expense claims, newest expense date first, page by page."""
    access = get_access_token()
    if access is None or access.subject is None:
        raise PermissionError("not authenticated")
    where = ["app_id = ?", "owner_id = ?"]
    args: list[Any] = [APP_ID, int(access.subject)]
    if status is not None:
        where.append("json_extract(data, '$.status') = ?")
        args.append(status)
    if date_from is not None:
        where.append("json_extract(data, '$.expense_date') >= ?")
        args.append(date_from.isoformat())
    if date_to is not None:
        where.append("json_extract(data, '$.expense_date') <= ?")
        args.append(date_to.isoformat())
    if supplier:
        where.append("json_extract(data, '$.supplier') LIKE ? ESCAPE '\\'")
        args.append(f"%{_escape_like(supplier)}%")
    offset = _cursor_offset(cursor)
    sql = (
        "SELECT id, owner_id, version, data, created_at, updated_at FROM records "
        f"WHERE {' AND '.join(where)} "
        "ORDER BY json_extract(data, '$.expense_date') DESC, id DESC LIMIT ? OFFSET ?"
    )
    rows = db().execute(sql, (*args, limit + 1, offset)).fetchall()
    more = len(rows) > limit
    claims = []
    for r in rows[:limit]:
        claim = dict(r)
        claim["data"] = json.loads(claim["data"])
        claims.append(claim)
    next_cursor = base64.urlsafe_b64encode(str(offset + limit).encode()).decode() if more else None
    return {"claims": claims, "next_cursor": next_cursor}


app = mcp.streamable_http_app(stateless_http=True, json_response=True)
