"""Plain-language checks for patient-facing words: the Flesch-Kincaid grade (US school grade; a grade of 7 is read
by most 12- to 13-year-olds) with a simple vowel-group syllable count, and the longest sentence in words.

The syllable count is a heuristic (it errs by one now and then on a word), so tests leave a margin: the point is to
catch a sentence that grew long or clinical, not to grade prose to a decimal."""

from __future__ import annotations

import re

_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
_SENTENCE_END = re.compile(r"[.!?]+(?:\s|$)")
_VOWEL_GROUPS = re.compile(r"[aeiouy]+")


def syllables(word: str) -> int:
    """Vowel groups, less a silent final 'e' (but not '-le'), at least one."""
    word = word.lower().split("'")[0]
    count = len(_VOWEL_GROUPS.findall(word))
    if word.endswith("e") and not word.endswith(("le", "ee")) and count > 1:
        count -= 1
    return max(count, 1)


def sentences(text: str) -> list[str]:
    return [part.strip() for part in _SENTENCE_END.split(text) if _WORD.search(part)]


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def grade(text: str) -> float:
    """Flesch-Kincaid grade level of ``text`` (one or more sentences)."""
    found = words(text)
    count = max(len(sentences(text)), 1)
    return 0.39 * len(found) / count + 11.8 * sum(map(syllables, found)) / len(found) - 15.59


def longest_sentence(text: str) -> int:
    return max(len(words(sentence)) for sentence in sentences(text))
