"""Capturing a URL: the bytes a server sent, and the evidence of the exchange.

Owns fetching one URL with requests (redirects followed, TLS verified, a
timeout and a size limit), and recording the final URL, the HTTP status,
the evidence headers (Content-Type, Date, Last-Modified, ETag) and the
fetch time.  It never changes the bytes received (no decompression beyond
the transfer's own Content-Encoding), never stores anything and never
returns a failed or empty response: those are one-line ProvenanceErrors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from ..errors import ProvenanceError
from .limits import max_bytes_default

DEFAULT_TIMEOUT = 30.0  # seconds, to connect and between bytes received
EVIDENCE_HEADERS = ("Content-Type", "Date", "Last-Modified", "ETag")


@dataclass(frozen=True)
class Captured:
    url: str  # as asked for
    final_url: str  # after redirects
    status: int
    headers: dict  # the evidence headers the server sent, by their usual names
    raw: bytes
    fetched_at: datetime  # aware, UTC: when the response was complete


def is_url(arg: str) -> bool:
    return arg.startswith(("http://", "https://"))


def fetch(url: str, *, timeout: float = DEFAULT_TIMEOUT, max_bytes: int | None = None) -> Captured:
    """GET `url`; the body exactly as received (after Content-Encoding)."""
    import requests

    limit = max_bytes if max_bytes is not None else max_bytes_default()
    headers = {"User-Agent": "provenance (document capture)", "Accept-Encoding": "identity"}
    try:
        with requests.get(url, headers=headers, timeout=timeout, stream=True, allow_redirects=True) as r:
            if not 200 <= r.status_code < 300:
                raise ProvenanceError(f"{url}: the server answered HTTP {r.status_code} {r.reason or ''}".rstrip()
                                      + (f" (at {r.url})" if r.url != url else "") + "; nothing stored")
            declared = r.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > limit:
                raise ProvenanceError(f"{url}: {int(declared):,} bytes is over the {limit:,}-byte limit "
                                      f"(--max-bytes or PROVENANCE_MAX_BYTES raise it); nothing stored")
            chunks, size = [], 0
            for chunk in r.iter_content(chunk_size=65536):
                size += len(chunk)
                if size > limit:
                    raise ProvenanceError(f"{url}: more than the {limit:,}-byte limit "
                                          f"(--max-bytes or PROVENANCE_MAX_BYTES raise it); nothing stored")
                chunks.append(chunk)
            fetched_at = datetime.now(timezone.utc).replace(microsecond=0)
            evidence = {h: r.headers[h] for h in EVIDENCE_HEADERS if h in r.headers}
            final_url, status = r.url, r.status_code
    except requests.exceptions.SSLError as exc:
        raise ProvenanceError(f"{url}: TLS error, the server's certificate cannot be trusted ({_reason(exc)})") from None
    except requests.exceptions.Timeout:
        raise ProvenanceError(f"{url}: timed out after {timeout:g} s; nothing stored") from None
    except requests.exceptions.TooManyRedirects:
        raise ProvenanceError(f"{url}: too many redirects; nothing stored") from None
    except requests.exceptions.InvalidURL as exc:
        raise ProvenanceError(f"{url}: not a valid URL ({_reason(exc)})") from None
    except requests.exceptions.RequestException as exc:
        raise ProvenanceError(f"{url}: cannot fetch ({_reason(exc)}); nothing stored") from None
    raw = b"".join(chunks)
    if not raw:
        raise ProvenanceError(f"{url}: the server sent 0 bytes (HTTP {status}); nothing stored")
    return Captured(url, final_url, status, evidence, raw, fetched_at)


def _reason(exc: Exception) -> str:
    # requests nests the cause; its last line is the one a user can act on.
    text = str(exc.args[0] if exc.args else exc)
    return " ".join(text.split())[-200:]


def evidence_properties(captured: Captured) -> dict:
    """What the store records of a capture, as flat properties."""
    props = {"http_status": captured.status, "final_url": captured.final_url,
             "fetched_at": captured.fetched_at.isoformat()}
    for header, value in captured.headers.items():
        props["http_" + header.lower().replace("-", "_")] = value
    return props
