"""Quality reports are standalone HTML documents written by the gate: served with their own
inline styles and nothing else (no script, nothing loaded, no framing, no sniffing)."""

from __future__ import annotations

from pathlib import Path

from fastapi.responses import HTMLResponse

REPORT_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def report_page(path: Path, *, private: bool) -> HTMLResponse:
    """A report as a page; an organizer's (``private``) is never cached."""
    cache = "no-store" if private else "public, max-age=300"
    headers = REPORT_HEADERS | {"Cache-Control": cache}
    return HTMLResponse(path.read_text(encoding="utf-8"), headers=headers)
