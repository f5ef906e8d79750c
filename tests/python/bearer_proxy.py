"""A small reverse proxy that adds `Authorization: Bearer <token>` to every request.

Some real MCP clients used in the tests (the conformance suite's server mode) cannot send an
Authorization header. They talk to this proxy instead, which forwards each request unchanged to
the real server — method, path, body and headers — with the bearer token added. Responses come
back as they are, streamed (Server-Sent Events included). It is test tooling only; the product
has no way around bearer authentication.

Host and Origin: the proxy stands in for the server at another port, so a Host or Origin that
names the proxy itself (`127.0.0.1:PROXY_PORT`, `localhost:PROXY_PORT`) is translated to the same
name at the server's port; any other value (e.g. `evil.example.com`) goes through untouched, so
the server's DNS-rebinding checks judge what the client really sent.

In a test:

    with BearerProxy(server.base_url, token) as proxy:
        ...  # point the client at proxy.url + "/mcp"

Standalone: python tests/python/bearer_proxy.py --upstream http://127.0.0.1:PORT --token TOKEN
prints `proxy listening on http://127.0.0.1:PORT` and serves until interrupted.
"""

from __future__ import annotations

import argparse
import http.client
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
}


class BearerProxy:
    def __init__(self, upstream: str, token: str, host: str = "127.0.0.1", port: int = 0):
        parts = urllib.parse.urlsplit(upstream)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"upstream must be an http:// URL, not {upstream!r}")
        self.upstream_host = parts.hostname
        self.upstream_port = parts.port or 80
        self.token = token
        self.requests = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args) -> None:  # quiet
                pass

            def _body(self) -> bytes | None:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    out = bytearray()
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass
                            return bytes(out)
                        out += self.rfile.read(size)
                        self.rfile.readline()
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else None

            def _forward(self) -> None:
                proxy.requests += 1
                body = self._body()
                conn = http.client.HTTPConnection(proxy.upstream_host, proxy.upstream_port, timeout=120)
                try:
                    conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                    for k, v in self.headers.items():
                        if k.lower() in HOP_BY_HOP or k.lower() in ("authorization", "content-length"):
                            continue
                        if k.lower() == "host":
                            v = proxy.translate_authority(v)
                        elif k.lower() == "origin":
                            v = proxy.translate_origin(v)
                        conn.putheader(k, v)
                    conn.putheader("Authorization", f"Bearer {proxy.token}")
                    if body is not None or self.command in ("POST", "PUT", "PATCH"):
                        conn.putheader("Content-Length", str(len(body or b"")))
                    conn.endheaders(body)
                    resp = conn.getresponse()
                    self.send_response_only(resp.status, resp.reason)
                    length = resp.getheader("Content-Length")
                    for k, v in resp.getheaders():
                        if k.lower() not in HOP_BY_HOP:
                            self.send_header(k, v)
                    if length is None:
                        # Unknown length (e.g. an event stream): stream until upstream closes.
                        self.send_header("Connection", "close")
                        self.close_connection = True
                    self.end_headers()
                    while True:
                        chunk = resp.read1(65536)
                        if not chunk:
                            break
                        self.wfile.write(chunk)
                        self.wfile.flush()
                except (ConnectionError, TimeoutError) as e:
                    try:
                        self.send_error(502, f"upstream: {e}")
                    except OSError:
                        pass
                finally:
                    conn.close()

            do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = do_OPTIONS = do_HEAD = _forward

        self._httpd = ThreadingHTTPServer((host, port), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://{host}:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    def translate_authority(self, authority: str) -> str:
        """`name:PROXY_PORT` → `name:UPSTREAM_PORT`; anything else unchanged."""
        name, sep, port = authority.rpartition(":")
        if sep and port == str(self.port) and name in ("127.0.0.1", "localhost", "[::1]"):
            return f"{name}:{self.upstream_port}"
        return authority

    def translate_origin(self, origin: str) -> str:
        scheme, sep, authority = origin.partition("://")
        if sep and scheme == "http":
            return f"http://{self.translate_authority(authority)}"
        return origin

    def __enter__(self) -> "BearerProxy":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--upstream", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--port", type=int, default=0)
    a = p.parse_args()
    proxy = BearerProxy(a.upstream, a.token, port=a.port)
    print(f"proxy listening on {proxy.url}", flush=True)
    try:
        proxy._httpd.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
