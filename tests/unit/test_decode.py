"""Bytes → text: encodings handled, binary and garbage rejected with a reason."""

from __future__ import annotations

import codecs
import random

import pytest

from schemas.errors import BinaryArticle, EmptyArticle, UndecodableArticle
from workers.clean import decode

TEXT = "The minister’s “plan” — naïve or not — was welcomed in Zürich and São Paulo.\n"


@pytest.mark.parametrize(
    ("raw", "encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.encode("utf-16"), "utf-16"),  # Python writes a BOM
        (TEXT.encode("utf-16-be").join([codecs.BOM_UTF16_BE, b""]), "utf-16"),
        (TEXT.encode("cp1252"), "cp1252"),
        (TEXT.replace("\n", "\r\n").encode("utf-8"), "utf-8"),
    ],
)
def test_supported_encodings_decode_to_the_same_text(raw, encoding):
    text, found = decode(raw)
    assert found == encoding
    assert text.replace("\r\n", "\n") == TEXT


def test_latin1_without_windows_punctuation_reads_correctly():
    text = "Le président a visité Genève et Besançon à l'été. " * 3
    assert decode(text.encode("latin-1"))[0] == text


@pytest.mark.parametrize(
    ("raw", "error", "words"),
    [
        (b"", EmptyArticle, "empty"),
        (b" \n\t \r\n", EmptyArticle, "empty"),
        (b"\x00" * 64, BinaryArticle, "NUL"),
        (b"%PDF-1.7\n" + bytes(200), BinaryArticle, "PDF"),
        (b"\x89PNG\r\n\x1a\n" + bytes(100), BinaryArticle, "PNG"),
        (b"hello \x01\x02\x03\x04\x05\x06\x07\x08 world" * 3, BinaryArticle, "control"),
    ],
)
def test_bad_bytes_are_rejected_with_a_reason(raw, error, words):
    with pytest.raises(error, match=words):
        decode(raw)


def test_random_bytes_are_undecodable_or_binary():
    rng = random.Random(7)
    raw = bytes(rng.randrange(128, 256) for _ in range(3000))
    with pytest.raises((UndecodableArticle, BinaryArticle)):
        decode(raw)


def test_utf16_bom_with_broken_body_is_undecodable():
    with pytest.raises(UndecodableArticle, match="utf-16"):
        decode(codecs.BOM_UTF16_LE + b"a\x00b")
