"""Photo captions in plain text: told from story sentences by form, verbs and credits."""

from __future__ import annotations

import re

# Present-tense verbs that open photo captions ("Leader X visits …", "Protesters march …").
_CAPTION_VERBS = re.compile(
    r"\b(?:visits|shakes|greets|speaks|attends|waves|arrives|leaves|looks|poses|walks|inspects"
    r"|delivers|gestures|listens|meets|holds|stands|sits|talks|salutes|reviews|watches|takes"
    r"|applauds|addresses|signs|tours|receives|lays|pays|rides|prays|hugs|embraces|smiles"
    r"|march|gather|wave|rally|protest|stand|walk|pose|sit|shake\s+hands|carry|hold\s+up"
    r"|are\s+seen|is\s+seen|pictured)\b",
    re.I,
)
_PHOTO_WORDS = re.compile(
    r"\b(?:photo|photograph|pictured|picture|handout|file\s+image|in\s+this\s+image"
    r"|in\s+this\s+(?:handout\s+)?(?:photo|picture)|seen\s+here)\b|\((?:L|R|C|left|right|centre|center)\)",
    re.I,
)
_ENDS_WITH_WHEN = re.compile(
    r"(?:\bon\s+\w+(?:\s+\d{1,2}(?:st|nd|rd|th)?)?(?:,?\s+\d{4})?|\b\d{4})\s*\.?$"
)
_REPORTING = re.compile(r"\b(?:said|says|told|according\s+to|reported|added)\b", re.I)
_QUOTES = re.compile(r"[“”\"]")
_SENTENCE_END = re.compile(r"[.!?][”\"’)]?\s+(?=[A-Z“\"])")


def sentence_count(text: str) -> int:
    """Rough count of sentences."""
    return len(_SENTENCE_END.findall(text)) + 1


def caption_score(text: str, *, credit_above: bool, credit_below: bool) -> float:
    """Evidence that a unit is a photo caption; 3 or more is a caption."""
    score = 0.0
    words = text.split()
    if _PHOTO_WORDS.search(text):
        score += 2
    if _CAPTION_VERBS.search(" ".join(words[:14])):
        score += 1
    if _ENDS_WITH_WHEN.search(text):
        score += 1
    if sentence_count(text) == 1 and len(words) <= 45:
        score += 1
    if _REPORTING.search(text):
        score -= 2
    if _QUOTES.search(text):
        score -= 1
    if credit_above:
        score += 2
    if credit_below:
        score += 1.5
    return score
