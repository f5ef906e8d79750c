"""Runs the reference peer under uvicorn, as `uvicorn peer:app --workers N` would, plus one fix.

    python serve.py --port 8000 --workers 2 [--nagle]

With more than one worker, uvicorn binds the listening socket itself as
``socket.socket(family=AF_INET)``: its protocol number is 0, not IPPROTO_TCP, so asyncio/uvloop
do not recognise the accepted connections as TCP and leave Nagle's algorithm on. A small JSON
response written in two pieces (headers, then body) then waits for the client's delayed ACK,
about 40 ms per call. This launcher sets TCP_NODELAY on every accepted connection, the fair
setting that a single uvicorn worker already gets; ``--nagle`` leaves uvicorn's behaviour as is,
to show the difference.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class NoDelayHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with TCP_NODELAY set on the connection."""

    def connection_made(self, transport):  # type: ignore[no-untyped-def]
        sock = transport.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        super().connection_made(transport)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--nagle", action="store_true", help="leave uvicorn's socket as it is")
    p.add_argument("--loop", default="uvloop", choices=["uvloop", "asyncio"])
    a = p.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, here)
    os.environ.setdefault("PEER_URL", f"http://{a.host}:{a.port}")
    uvicorn.run(
        "peer:app",
        host=a.host,
        port=a.port,
        workers=a.workers,
        loop=a.loop,
        http="httptools" if a.nagle else "serve:NoDelayHttpToolsProtocol",
        log_level="warning",
        access_log=False,
        app_dir=here,
    )


if __name__ == "__main__":
    main()
