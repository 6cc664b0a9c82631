"""The peer certificate of an exchange as labelled rows, for every front end.

The engine records the certificate's facts on the TLS event, or on the ERROR event when
verification rejected it. Every value is server-chosen text: front ends sanitise it.
"""

from __future__ import annotations

from typing import Any

from sockscope.core.model import EventType, Exchange


def peer_certificate(exchange: Exchange) -> dict[str, Any] | None:
    for event in exchange.of_type(EventType.TLS, EventType.ERROR):
        certificate = event.detail.get("certificate")
        if certificate:
            return dict(certificate)
    return None


def tls_session(exchange: Exchange) -> dict[str, Any] | None:
    """The TLS event's facts (version, cipher, ALPN...), None when no handshake finished."""
    for event in exchange.of_type(EventType.TLS):
        return dict(event.detail)
    return None


def certificate_rows(certificate: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) rows: subject, issuer, names, validity, fingerprint, oddities."""
    rows = [
        ("subject", certificate.get("subject") or "-"),
        ("issuer", certificate.get("issuer") or "-"),
    ]
    names = certificate.get("san") or []
    if names:
        more = certificate.get("san_total", len(names)) - len(names)
        rows.append(("names", ", ".join(names) + (f" (+{more} more)" if more > 0 else "")))
    if certificate.get("not_before") or certificate.get("not_after"):
        valid = f"{certificate.get('not_before', '?')} to {certificate.get('not_after', '?')}"
        rows.append(("valid", valid))
    if certificate.get("self_signed"):
        rows.append(("note", "self-signed (its issuer is its subject)"))
    rows.append(("sha256", certificate.get("sha256") or "-"))
    if certificate.get("parse_error"):
        rows.append(("problem", certificate["parse_error"]))
    return rows


def session_summary(session: dict[str, Any]) -> str:
    """`TLSv1.3 · TLS_AES_256_GCM_SHA384 · ALPN h2 · verified`."""
    parts = [session.get("version"), session.get("cipher")]
    if session.get("alpn"):
        parts.append(f"ALPN {session['alpn']}")
    parts.append("verified" if session.get("verified") else "NOT verified")
    return " · ".join(str(p) for p in parts if p)
