"""An aiosmtpd handler that keeps every message it accepts as a file, for the notification tests.

Run as `python -m aiosmtpd -n -l 127.0.0.1:PORT -c smtp_sink.Sink` with this folder on
`PYTHONPATH` and `SMTP_SINK_DIR` naming the folder the messages go to (one `.eml` file each,
written to a temporary name and renamed, so a reader never sees half a message).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path


class Sink:
    def __init__(self) -> None:
        self.dir = Path(os.environ["SMTP_SINK_DIR"])
        self.dir.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        name = uuid.uuid4().hex
        tmp = self.dir / f".{name}.tmp"
        rcpts = ",".join(envelope.rcpt_tos)
        tmp.write_bytes(f"X-Rcpt-To: {rcpts}\r\n".encode() + envelope.content)
        tmp.rename(self.dir / f"{name}.eml")
        return "250 Message accepted for delivery"
