"""Secrets out of log lines: camera keys, write tokens, key query parameters.

:class:`RedactSecrets` is a logging filter on every handler
:func:`zenith.telemetry.logs.setup_logging` installs. It rewrites the
finished message, so it also covers lines written by libraries (aiohttp's
access log writes the request line with its query string: the AllSkyKamera
client sends its key as ``GET /getSecrets.php?key=...``).
"""

from __future__ import annotations

import logging
import re

MASK = "***"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # query and form parameters that carry a key or token
    (re.compile(r"(?i)([?&;](?:key|api_key|apikey|token|influx_token|access_token)=)"
                r"[^&\s\"';]+"), r"\1" + MASK),
    # headers written out: X-API-Key: ..., Authorization: Token|Bearer ...
    (re.compile(r"(?i)(x-api-key['\"]?\s*[:=]\s*['\"]?)[^\s'\",}]+"), r"\1" + MASK),
    (re.compile(r"(?i)\b(token|bearer)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 " + MASK),
    # Zenith camera keys and write tokens, wherever they appear: the id stays
    (re.compile(r"\b(z[kt]_[0-9a-f]{12}_)[0-9a-f]{16,}"), r"\1" + MASK),
)


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the formatter
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
