"""Bytes → text: BOMs, UTF-8 (a few invalid bytes replaced), detected legacy encodings;
binary and garbage rejected."""

from __future__ import annotations

import codecs
import re

import structlog
from charset_normalizer import from_bytes

from schemas.errors import BinaryArticle, EmptyArticle, UndecodableArticle

log = structlog.get_logger(__name__)

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# Leading bytes of formats people drop into an inbox by mistake.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"PK\x03\x04", "a ZIP archive (backfill unpacks archives; workers take single articles)"),
    (b"\x1f\x8b", "a gzip file (backfill unpacks .gz; workers take single articles)"),
    (b"\x7fELF", "an executable"),
)

# Encodings a news file is plausibly in when it is not UTF-8; detection picks among these.
_LEGACY = ("cp1252", "latin_1", "iso8859_15", "cp1250", "cp1251", "iso8859_2", "mac_roman")

# A valid multi-byte UTF-8 sequence (2, 3 or 4 bytes).
_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)

_MAX_CONTROL_RATIO = 0.01
# Unicode category Cc (C0, DEL, C1) less the whitespace controls text legitimately has.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")


def decode(raw: bytes) -> tuple[str, str]:
    """Decode raw article bytes; returns (text, encoding) or raises an InvalidArticle."""
    if not raw.strip():
        raise EmptyArticle("the article is empty (no bytes, or only whitespace): nothing to do")
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            try:
                return _checked(raw.decode(encoding)), encoding
            except UnicodeDecodeError as exc:
                raise UndecodableArticle(
                    f"the article starts with a {encoding} byte-order mark but is not valid "
                    f"{encoding} at byte {exc.start}: re-export it in UTF-8"
                ) from exc
    for magic, what in _MAGIC:
        if raw.startswith(magic):
            raise BinaryArticle(f"the article is {what}, not text: send text or HTML")
    if b"\x00" in raw:
        raise BinaryArticle(
            "the article contains NUL bytes and no UTF-16 byte-order mark: "
            "it is binary, or UTF-16 without a BOM; send UTF-8 text or HTML"
        )
    try:
        return _checked(raw.decode("utf-8")), "utf-8"
    except UnicodeDecodeError:
        pass
    mostly = _mostly_utf8(raw)
    if mostly is not None:
        return mostly
    matches = list(from_bytes(raw, cp_isolation=list(_LEGACY), threshold=0.2))
    if not matches:
        raise UndecodableArticle(
            "the article is not UTF-8 and no supported legacy encoding (Windows-1252, "
            "Latin-1, …) reads it as text: re-export it in UTF-8"
        )
    # Detection often ties (cp1252 and cp1250 read most Western text alike); among the
    # equally good readings, prefer the encodings most common for news, in _LEGACY order.
    best = min(m.chaos for m in matches)
    tied = [m for m in matches if m.chaos <= best + 0.01]
    top = max(m.coherence for m in tied)
    tied = [m for m in tied if m.coherence >= top - 0.05]
    match = min(tied, key=lambda m: _LEGACY.index(m.encoding) if m.encoding in _LEGACY else 99)
    return _checked(str(match)), match.encoding


def _mostly_utf8(raw: bytes) -> tuple[str, str] | None:
    """UTF-8 with a few invalid bytes (a stray byte, a cut copy): keep its good characters.

    Read as a legacy encoding instead, every correct "ü" or "—" would turn into mojibake
    ("Ã¼", "â€”") with no sign of it. When valid multi-byte UTF-8 sequences outnumber the
    invalid bytes, the text is UTF-8 and only the invalid bytes become U+FFFD (visible in
    the record's text, and logged).
    """
    valid = len(_UTF8_MULTIBYTE.findall(raw))
    if valid == 0:
        return None
    text = raw.decode("utf-8", errors="replace")
    invalid = text.count("\ufffd") - raw.count(b"\xef\xbf\xbd")
    if invalid > valid:
        return None
    log.warning("invalid_utf8_replaced", invalid_bytes=invalid, valid_sequences=valid)
    return _checked(text), "utf-8-replace"


def _checked(text: str) -> str:
    """Reject decoded text that is mostly control characters (binary that happened to decode)."""
    if not text.strip():
        raise EmptyArticle("the article decodes to whitespace only: nothing to do")
    controls = len(_CONTROL.findall(text))
    if controls > _MAX_CONTROL_RATIO * len(text):
        raise BinaryArticle(
            f"the article decodes to text with {controls} control characters in "
            f"{len(text)}: it looks binary; send text or HTML"
        )
    return text
