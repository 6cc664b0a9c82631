"""TLS contexts and the facts of a handshake: version, cipher, ALPN and the peer certificate.

The certificate is read from its DER bytes with a small X.509 reader, because the ssl
module only decodes a certificate it has verified, and a rejected or unverified one is
exactly when its names and fingerprint matter. Every field is server-chosen: the facts
are plain data for the display sanitiser, and a malformed certificate yields what could
be read plus `parse_error`, never an exception.
"""

from __future__ import annotations

import hashlib
import ipaddress
import ssl
from typing import Any

from sockscope.core.model import TlsOptions

# Caps on what one certificate may put into an event (a hostile one can carry thousands
# of names, or a megabyte-long common name).
MAX_NAMES = 100
MAX_TEXT = 256

_ATTRIBUTES = {
    "2.5.4.3": "CN",
    "2.5.4.5": "serialNumber",
    "2.5.4.6": "C",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "2.5.4.9": "street",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "2.5.4.97": "organizationIdentifier",
    "1.2.840.113549.1.9.1": "emailAddress",
    "0.9.2342.19200300.100.1.25": "DC",
    "0.9.2342.19200300.100.1.1": "UID",
}
_SAN_OID = "2.5.29.17"

# Universal string tags and how their bytes are encoded.
_STRING_CODECS = {
    0x0C: "utf-8",  # UTF8String
    0x12: "ascii",  # NumericString
    0x13: "ascii",  # PrintableString
    0x14: "latin-1",  # TeletexString (in practice Latin-1)
    0x16: "ascii",  # IA5String
    0x1A: "ascii",  # VisibleString
    0x1C: "utf-32-be",  # UniversalString
    0x1E: "utf-16-be",  # BMPString
}


def make_context(options: TlsOptions, *, verify: bool | None = None) -> ssl.SSLContext:
    """A client context for `options`; `verify` overrides options.verify (used to fetch a
    rejected certificate). Raises OSError/ssl.SSLError for an unreadable CA file."""
    checking = options.verify if verify is None else verify
    if checking:
        context = ssl.create_default_context(cafile=options.ca_file)
    else:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if options.alpn:
        context.set_alpn_protocols(list(options.alpn))
    return context


def handshake_facts(sock: ssl.SSLSocket, server_name: str, verified: bool) -> dict[str, Any]:
    """JSON-safe facts about an established TLS session, for the TLS event."""
    cipher = sock.cipher()
    der = sock.getpeercert(binary_form=True)
    return {
        "version": sock.version(),
        "cipher": cipher[0] if cipher else None,
        "bits": cipher[2] if cipher else None,
        "alpn": sock.selected_alpn_protocol(),
        "server_name": server_name,
        "verified": verified,
        "certificate": certificate_facts(der) if der else None,
    }


def fingerprint(der: bytes) -> str:
    """SHA-256 of the DER bytes as browsers and openssl show it: `AB:CD:...`."""
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def certificate_facts(der: bytes) -> dict[str, Any]:
    """Subject, issuer, subjectAltName entries, validity and fingerprint of a DER certificate."""
    facts: dict[str, Any] = {"sha256": fingerprint(der), "size": len(der)}
    try:
        _read_certificate(der, facts)
    except (ValueError, IndexError) as exc:
        facts["parse_error"] = f"malformed certificate: {exc}"
    return facts


# ---- a minimal DER reader, enough for the fields above --------------------------------


def _tlv(data: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """(tag, value start, value end) of the element at `pos`, which must fit before `end`."""
    if pos + 2 > end:
        raise ValueError("truncated element")
    tag = data[pos]
    if tag & 0x1F == 0x1F:
        raise ValueError("multi-byte tag")
    first = data[pos + 1]
    pos += 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if not 1 <= count <= 4 or pos + count > end:
            raise ValueError("bad length")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    if pos + length > end:
        raise ValueError("element runs past its container")
    return tag, pos, pos + length


def _children(data: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    out = []
    pos = start
    while pos < end:
        tag, value_start, value_end = _tlv(data, pos, end)
        out.append((tag, value_start, value_end))
        pos = value_end
    return out


def _expect(element: tuple[int, int, int], tag: int, what: str) -> tuple[int, int]:
    if element[0] != tag:
        raise ValueError(f"{what}: tag 0x{element[0]:02x}, expected 0x{tag:02x}")
    return element[1], element[2]


def _oid(raw: bytes) -> str:
    if not raw:
        raise ValueError("empty OID")
    parts = [min(raw[0] // 40, 2), raw[0] - 40 * min(raw[0] // 40, 2)]
    value = 0
    for byte in raw[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(value)
            value = 0
    return ".".join(map(str, parts))


def _text(tag: int, raw: bytes) -> str:
    text = raw.decode(_STRING_CODECS.get(tag, "latin-1"), errors="replace")
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 3] + "..."


def _name(data: bytes, start: int, end: int) -> tuple[str, list[tuple[str, str]]]:
    pairs = []
    for rdn in _children(data, start, end):
        for attribute in _children(data, *_expect(rdn, 0x31, "name part")):
            oid_el, value_el = _children(data, *_expect(attribute, 0x30, "attribute"))[:2]
            key = _oid(data[slice(*_expect(oid_el, 0x06, "attribute type"))])
            pairs.append(
                (_ATTRIBUTES.get(key, key), _text(value_el[0], data[value_el[1] : value_el[2]]))
            )
    return ", ".join(f"{k}={v}" for k, v in pairs), pairs


def _time(tag: int, raw: bytes) -> str:
    text = raw.decode("ascii", errors="replace")
    if tag == 0x17 and len(text) == 13 and text[:12].isdigit():  # UTCTime YYMMDDHHMMSSZ
        year = int(text[:2])
        text = f"{1900 + year if year >= 50 else 2000 + year}{text[2:]}"
    if len(text) == 15 and text[:14].isdigit() and text.endswith("Z"):
        return f"{text[:4]}-{text[4:6]}-{text[6:8]}T{text[8:10]}:{text[10:12]}:{text[12:14]}Z"
    return _text(0x16, raw)


def _general_names(data: bytes, start: int, end: int) -> list[str]:
    names = []
    for tag, value_start, value_end in _children(data, start, end):
        raw = data[value_start:value_end]
        if tag == 0x82:
            names.append("DNS:" + _text(0x16, raw))
        elif tag == 0x87:
            try:
                names.append(f"IP:{ipaddress.ip_address(raw)}")
            except ValueError:
                names.append("IP:" + raw.hex())
        elif tag == 0x81:
            names.append("email:" + _text(0x16, raw))
        elif tag == 0x86:
            names.append("URI:" + _text(0x16, raw))
        elif tag == 0xA4:
            names.append(
                "DirName:"
                + _name(
                    data,
                    *_expect(_children(data, value_start, value_end)[0], 0x30, "directory name"),
                )[0]
            )
        else:
            names.append(f"other:[{tag & 0x1F}]")
    return names


def _read_certificate(der: bytes, facts: dict[str, Any]) -> None:
    cert = _expect(_tlv(der, 0, len(der)), 0x30, "certificate")
    tbs = _expect(_children(der, *cert)[0], 0x30, "tbsCertificate")
    fields = _children(der, *tbs)
    if fields[0][0] == 0xA0:  # explicit version; absent means v1
        version = _children(der, fields[0][1], fields[0][2])[0]
        facts["version"] = int.from_bytes(der[version[1] : version[2]], "big") + 1
        fields = fields[1:]
    else:
        facts["version"] = 1
    serial, _algorithm, issuer, validity, subject = fields[:5]
    facts["serial"] = der[slice(*_expect(serial, 0x02, "serial"))].hex().upper()
    facts["issuer"], _ = _name(der, *_expect(issuer, 0x30, "issuer"))
    facts["subject"], subject_pairs = _name(der, *_expect(subject, 0x30, "subject"))
    facts["self_signed"] = der[issuer[1] : issuer[2]] == der[subject[1] : subject[2]]
    common = [v for k, v in subject_pairs if k == "CN"]
    if common:
        facts["common_name"] = common[-1]
    not_before, not_after = _children(der, *_expect(validity, 0x30, "validity"))[:2]
    facts["not_before"] = _time(not_before[0], der[not_before[1] : not_before[2]])
    facts["not_after"] = _time(not_after[0], der[not_after[1] : not_after[2]])
    san: list[str] = []
    for tag, start, end in fields[6:]:
        if tag != 0xA3:
            continue
        (extensions,) = _children(der, start, end)[:1]
        for extension in _children(der, *_expect(extensions, 0x30, "extensions")):
            parts = _children(der, *_expect(extension, 0x30, "extension"))
            if _oid(der[slice(*_expect(parts[0], 0x06, "extension id"))]) != _SAN_OID:
                continue
            value = _expect(parts[-1], 0x04, "extension value")
            names = _expect(_tlv(der, value[0], value[1]), 0x30, "subjectAltName")
            san = _general_names(der, *names)
    facts["san"] = san[:MAX_NAMES]
    if len(san) > MAX_NAMES:
        facts["san_total"] = len(san)
