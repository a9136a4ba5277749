"""Medicines: free-text medicine lines -> generic names and the drug classes the rules use.

Owns screening/data/medications.csv (parsing, checks, fingerprint) and the matching rules of clinical-rules.md
"Medicines". Pure: imports only the standard library.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

_CLASS_TABLE = (  # id -> clinician label, in the order of clinical-rules.md (describe() keeps it)
    ("benzodiazepine", "benzodiazepine"), ("z_drug", "Z-drug sleeping tablet"), ("gabapentinoid", "gabapentinoid"),
    ("muscle_relaxant", "muscle relaxant"), ("sedating_antihistamine", "sedating antihistamine"),
    ("antipsychotic", "antipsychotic"), ("barbiturate", "barbiturate"), ("opioid", "opioid"),
    ("oud_treatment", "opioid-use-disorder treatment"), ("maoi", "MAO inhibitor"), ("stimulant", "stimulant"),
    ("theophylline", "theophylline or aminophylline"), ("lamotrigine", "lamotrigine"),
    ("cyp3a4_inhibitor", "CYP3A4 inhibitor"), ("cyp_inducer", "CYP enzyme inducer"),
    ("thyroid_hormone", "thyroid hormone"), ("ketamine", "ketamine or esketamine"),
)  # fmt: skip
CLASSES: frozenset[str] = frozenset(c for c, _ in _CLASS_TABLE)
CLASS_LABELS: Mapping[str, str] = MappingProxyType(dict(_CLASS_TABLE))

# Names confused in practice (ISMP's list of confused drug names; clinical-rules.md), kept where at least one side
# has a class. Used by _fuzzy; part of the vocabulary fingerprint.
LOOKALIKES: tuple[tuple[str, str], ...] = (
    ("tramadol", "trazodone"), ("lamictal", "lamisil"), ("lamotrigine", "lamivudine"), ("clonazepam", "clonidine"),
    ("klonopin", "clonidine"), ("hydroxyzine", "hydralazine"), ("zyprexa", "zyrtec"), ("zyprexa", "celexa"),
    ("celexa", "celebrex"), ("celebrex", "cerebyx"), ("xanax", "zantac"), ("adderall", "inderal"),
    ("zyvox", "zovirax"), ("keppra", "kaletra"), ("bupropion", "buprenorphine"), ("risperidone", "ropinirole"),
    ("methadone", "methylphenidate"),
)  # fmt: skip
_PAIRS = (*LOOKALIKES, *((b, a) for a, b in LOOKALIKES))

_UNITS = frozenset(
    "mg mgs milligram milligrams mcg mcgs ug microgram micrograms g gm gram grams grain grains kg ml mls millilitre "
    "millilitres milliliter milliliters l iu unit units mmol hour hours hr hrs h day dose".split()
)
_NOISE = _UNITS | frozenset(  # dose forms; frequencies and fillers; release suffixes; salts
    "tablet tablets tab tabs capsule capsules cap caps caplet caplets pill pills puff puffs patch patches spray "
    "sprays drop drops sachet sachets injection injections inj jab jabs cream gel ointment liquid solution suspension "
    "syrup inhaler lozenge lozenges suppository suppositories sublingual oral film films doses dosage soluble "
    "dispersible effervescent chewable plaster plasters vial vials nasal topical transdermal mixture granules melt "
    "melts orodispersible buccal infusion iv im po sl "
    "od bd bid tds tid qds qid qd qhs hs nocte mane prn stat om on am pm daily nightly weekly fortnightly monthly "
    "hourly once twice thrice times time x every each per a an morning mornings night nights evening evenings bedtime "
    "bed lunch lunchtime noon midday breakfast dinner tea teatime meal meals food days week weeks month months needed "
    "required necessary when if as at in the of to with for up max maximum about approx usually occasionally "
    "sometimes regularly only one two three four five six half quarter take takes taking took use using apply by "
    "mouth then or plus also currently still "
    "xr xl sr mr er cr la sa cd ir odt dr ec retard continus modified release released slow extended prolonged "
    "controlled sustained immediate delayed depot long acting gastro resistant enteric coated "
    "hydrochloride hcl sodium potassium calcium magnesium phosphate sulfate sulphate tartrate bitartrate maleate "
    "fumarate besylate besilate mesylate mesilate dimesylate succinate citrate acetate bromide hydrobromide pamoate "
    "oxalate hyclate monohydrate dipotassium base".split()
)
_COMMON = frozenset(  # never fuzzy-matched: "some" is one edit from Soma
    "some none nil nothing not no yes sure unsure unknown dont know remember cant stopped stop started start last "
    "year years ago since before after pain relief killer killers painkiller painkillers blood pressure sleep "
    "sleeping anxiety depression nerve nerves back neck head headache migraine heart thyroid vitamin vitamins "
    "supplement supplements herbal from doctor prescribed over counter like other others various water coffee "
    "alcohol this that these those have had has was were been being but because which what medication medications "
    "medicine medicines meds drug drugs same note stomach skin eyes joint joints muscle muscles spasm cramps mood "
    "tired".split()
)
_SPLITTERS = frozenset({",", ";", "+", "&", "and"})
_COUNTED = frozenset("times x a per daily tablet tablets tab tabs caps capsules".split())  # "Tylenol 3 times"
_TOKEN_RE = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:['’`][^\W\d_]+)*|[,;+/&#]")
_ASCII_TOKEN_RE = re.compile(r"\d+(?:[.,]\d+)*|[a-z]+(?:['`][a-z]+)*|[,;+/&#]")
_APOSTROPHES_AND_COMMAS = str.maketrans("", "", "'`,")
_NOT_WORD_RE, _NOT_NUMBER_RE = re.compile(r"[^a-z0-9]"), re.compile(r"[^0-9.]")
_FUZZY_WINDOWS, _FUZZY_WORDS = 40, 4  # per piece: bounds the work on long unmatched text

_HEADER = ["name", "generics", "classes", "kind", "country", "source"]
_KINDS = frozenset({"generic", "brand", "nickname", "combination", "ambiguous"})
_COUNTRIES = frozenset({"US", "UK", "both", "-"})
_SOURCE_KEY = r"(?:OB \d{6}|BNF [0-9A-Z]{15}|RxNorm \d+|label [^;]+|INN|USAN|BAN|clinical-rules\.md|curated)"
_SOURCE_RE = re.compile(rf"{_SOURCE_KEY}(?:; {_SOURCE_KEY})*")  # the keys data/README.md documents
_GENERIC_RE = re.compile(r"([a-z0-9][a-z0-9 '\-]*?)(?: \(([^()]+)\))?")


class VocabularyError(ValueError):
    """The vocabulary CSV is malformed; the message names the line."""


@dataclass(frozen=True)
class Entry:
    """One row of the vocabulary."""

    name: str  # as written in the CSV
    key: str  # normalised: what matching compares
    generics: tuple[str, ...]  # ingredients, or alternatives when kind == "ambiguous"
    classes: frozenset[str]
    kind: str
    country: str
    source: str
    wording: str  # for describe(): "codeine + paracetamol", "diphenhydramine (US) or acrivastine or cetirizine (UK)"


@dataclass(frozen=True)
class Vocabulary:
    """A parsed vocabulary and its lookup tables."""

    entries: Mapping[str, Entry]  # key -> entry
    lookup: Mapping[str, str]  # every spelling tried (keys, run-together keys) -> key
    first: Mapping[str, int]  # first token -> most tokens in a spelling starting with it
    longest: int  # longest spelling, in characters


@dataclass(frozen=True)
class Match:
    """A medicine found in a patient's text (`text`: the piece of the line, as typed).

    `name` is the normalised vocabulary name matched ("klonopin"), or, when a fuzzy match names several
    medicines, their names joined by "|". `generics` holds every ingredient of a combination product, or every
    candidate when `ambiguous`; `classes` is their union.
    """

    text: str
    name: str
    generics: tuple[str, ...]
    classes: frozenset[str]
    confident: bool
    ambiguous: bool = False

    def describe(self) -> str:
        """Evidence wording: "codeine + paracetamol (opioid)", "possibly alprazolam (benzodiazepine)",
        "clonazepam or clonidine?", "amlodipine"."""
        if self.ambiguous:
            entries, keys = _vocab().entries, self.name.split("|")
            found = [entries[k].wording for k in keys if k in entries]
            return " or ".join(found if len(found) == len(keys) else self.generics) + "?"
        labels = [  # skip a label that names the generic: "lamotrigine (lamotrigine)"
            label
            for c, label in CLASS_LABELS.items()
            if c in self.classes and set(label.split(" or ")).isdisjoint(self.generics)
        ]
        text = " + ".join(self.generics) + (f" ({', '.join(labels)})" if labels else "")
        return text if self.confident else f"possibly {text}"


# ---------------------------------------------------------------- the vocabulary


def load_vocabulary(source: str | Path | None = None) -> Vocabulary:
    """Parse and check a vocabulary: the packaged CSV (None), a file (Path) or CSV text (str).

    Blank lines and lines starting with "#" are skipped; the first other line is the header. Raises
    VocabularyError, naming the line, on a malformed row, an unknown class, kind or country, an undocumented
    source key, or a name that repeats another after normalisation.
    """
    if source is None:
        from importlib import resources  # here, not at the top: it adds ~8 ms to every import

        text = (resources.files("screening") / "data" / "medications.csv").read_text("utf-8")
    else:
        text = source.read_text("utf-8") if isinstance(source, Path) else source
    entries: dict[str, Entry] = {}
    header = False
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = next(csv.reader([line]))
        if not header and fields != _HEADER:
            raise VocabularyError(f"line {lineno}: expected the header {','.join(_HEADER)}")
        if header:
            entry = _parse_row(fields, lineno)
            if entry.key in entries:
                raise VocabularyError(f"line {lineno}: {entry.name!r} repeats {entries[entry.key].name!r}")
            entries[entry.key] = entry
        header = True
    if not entries:
        raise VocabularyError("the vocabulary has no rows")
    return _index(entries)


def _parse_row(fields: list[str], lineno: int) -> Entry:
    if len(fields) != len(_HEADER):
        raise VocabularyError(f"line {lineno}: expected 6 columns, found {len(fields)}")
    name, generics, classes, kind, country, source = (f.strip() for f in fields)
    key, alternatives = " ".join(_tokens(name)[0]), kind == "ambiguous"
    parts = [_GENERIC_RE.fullmatch(p.strip()) for p in generics.split("|" if alternatives else "+")]
    found = [m for m in parts if m]
    checks = (
        (bool(key) and set(key.split()).isdisjoint(",;+/&"), "a name without , ; + / &"),
        (kind in _KINDS, f"a kind in {sorted(_KINDS)}"),
        (country in _COUNTRIES, f"a country in {sorted(_COUNTRIES)}"),
        (CLASSES.issuperset(classes.split()), "class ids from CLASSES"),
        (bool(_SOURCE_RE.fullmatch(source)), "a source key documented in data/README.md"),
        (("|" in generics) == alternatives, "generics joined by | in ambiguous rows only"),
        (len(found) == len(parts), "lowercase generic names"),
        (len(parts) == 1 or kind not in ("generic", "brand"), "one generic for this kind"),
        (len(parts) > 1 or kind not in ("combination", "ambiguous"), "several generics for this kind"),
        (alternatives or not any(m[2] for m in found), "(qualifiers) in ambiguous rows only"),
    )
    for ok, expected in checks:
        if not ok:
            raise VocabularyError(f"line {lineno}: {name!r}: expected {expected}")
    wording = [m[1] for m in found]
    for i, m in enumerate(found):  # "a (US) | b (UK) | c (UK)" reads "a (US) or b or c (UK)"
        if m[2] and (i + 1 == len(found) or found[i + 1][2] != m[2]):
            wording[i] += f" ({m[2]})"
    joined = " or ".join(wording) if alternatives else " + ".join(wording)
    return Entry(name, key, tuple(m[1] for m in found), frozenset(classes.split()), kind, country, source, joined)


def _index(entries: dict[str, Entry]) -> Vocabulary:
    lookup = {key: key for key in entries}
    for key in entries:  # "co codamol" is also typed "cocodamol"
        if " " in key and key.replace(" ", "").isalpha():
            lookup.setdefault(key.replace(" ", ""), key)
    first: dict[str, int] = {}
    for spelling in lookup:
        words = spelling.split()
        first[words[0]] = max(first.get(words[0], 0), len(words))
    return Vocabulary(MappingProxyType(entries), MappingProxyType(lookup), first, max(map(len, lookup)))


@functools.cache
def _vocab() -> Vocabulary:
    vocab = load_vocabulary()
    if unknown := {n for pair in LOOKALIKES for n in pair} - set(vocab.entries):
        raise VocabularyError(f"LOOKALIKES names unknown medicines: {sorted(unknown)}")
    return vocab


def vocabulary_size() -> int:
    """Number of distinct names in the vocabulary."""
    return len(_vocab().entries)


@functools.cache
def vocabulary_fingerprint() -> str:
    """SHA-256 (hex) of what decides a match: each name's generics, wording, classes and kind, and LOOKALIKES.
    Comments, sources and countries are not part of it."""
    digest = hashlib.sha256()
    for key, e in sorted(_vocab().entries.items()):
        fields = (key, "+".join(e.generics), e.wording, " ".join(sorted(e.classes)), e.kind)
        digest.update(("\x1f".join(fields) + "\x1e").encode())
    for pair in sorted(LOOKALIKES):
        digest.update(("\x1f".join(pair) + "\x1e").encode())
    return digest.hexdigest()


# ---------------------------------------------------------------- exact names and pieces
#
# A line becomes tokens: lowercase ASCII words and numbers (accents and apostrophes dropped, other punctuation a
# break). Known names are found first, the longest at each position, so "MST Continus", "St John's wort" and
# "Tylenol with codeine" beat their parts and are never split. The line is then cut into pieces at , ; + & "and",
# and at "/" unless it sits in a strength ("30/500", "mg/ml"). A piece with no known name gets at most one fuzzy
# match (_fuzzy) on the words left once strengths, numbers, dose, frequency, form, release and salt words (_NOISE)
# and common words (_COMMON) are set aside.


def _tokens(text: str, *, where: bool = False) -> tuple[list[str], list[tuple[int, int]]]:
    """The normalised words, numbers and separators of `text`; with `where`, also where each is."""
    if text.isascii() and not where:  # the common case, kept fast
        found = _ASCII_TOKEN_RE.findall(text.lower())
        return [t if len(t) == 1 or t.isalnum() else t.translate(_APOSTROPHES_AND_COMMAS) for t in found], []
    tokens, places = [], []
    for m in _TOKEN_RE.finditer(text):
        raw = "".join(c for c in unicodedata.normalize("NFKD", m.group()) if not unicodedata.combining(c)).casefold()
        if len(raw) == 1 and raw in ",;+/&#":
            token = raw
        else:
            token = (_NOT_NUMBER_RE if raw[:1].isdigit() else _NOT_WORD_RE).sub("", raw)
        if token:
            tokens.append(token)
            places.append((m.start(), m.end()))
    return tokens, places


def _find_names(norms: list[str], vocab: Vocabulary) -> list[tuple[int, int, Entry]]:
    """Known names in `norms`, left to right, the longest at each position. A name ending in a number takes no
    count after it: "Tylenol 3" is codeine, "Tylenol 3 times a day" is not."""
    spans: list[tuple[int, int, Entry]] = []
    i, end, first, lookup = 0, len(norms), vocab.first, vocab.lookup
    while i < end:
        for width in range(min(first.get(norms[i], 0), end - i), 0, -1):
            key = lookup.get(" ".join(norms[i : i + width]))
            counted = norms[i + width - 1].isdigit() and i + width < end and norms[i + width] in _COUNTED
            if key and not counted:
                spans.append((i, i + width, vocab.entries[key]))
                i += width - 1
                break
        i += 1
    return spans


def _splits(norms: list[str], i: int) -> bool:
    if norms[i] != "/":
        return norms[i] in _SPLITTERS
    near = (norms[i - 1] if i else "", norms[i + 1] if i + 1 < len(norms) else "")
    return not any(t[:1].isdigit() or t in _UNITS for t in near)  # "30/500", "mg/ml" hold


@functools.lru_cache(maxsize=2048)
def _analyse(line: str) -> tuple[tuple[str, tuple[Match, ...]], ...]:
    """(piece as typed, its matches) for each piece of one stripped line."""
    vocab = _vocab()
    text = line if line.isascii() else unicodedata.normalize("NFC", line)
    norms = _tokens(text)[0]
    spans = _find_names(norms, vocab)
    inside = {i for a, b, _ in spans for i in range(a, b)}
    cuts = [i for i, t in enumerate(norms) if (t in _SPLITTERS or t == "/") and i not in inside and _splits(norms, i)]
    places = _tokens(text, where=True)[1] if cuts else [(0, len(text))] * len(norms)  # one piece: the whole line
    pieces, at = [], 0
    for a, b in zip([-1, *cuts], [*cuts, len(norms)], strict=True):
        if b - a < 2:
            continue
        piece, found = text[places[a + 1][0] : places[b - 1][1]], []
        while at < len(spans) and spans[at][0] < b:  # exact names: confident unless ambiguous by nature
            entry, at = spans[at][2], at + 1
            sure = entry.kind != "ambiguous"  # Benadryl: an exact name, yet its content is unknown
            found.append(Match(piece, entry.key, entry.generics, entry.classes, sure, not sure))
        if not found and (keys := _fuzzy_piece(norms[a + 1 : b])):
            found.append(_inexact(keys, piece))
        pieces.append((piece, tuple(found)))
    return tuple(pieces)


# ---------------------------------------------------------------- misspellings


def _inexact(keys: tuple[str, ...], text: str) -> Match:
    entries = [_vocab().entries[k] for k in keys]
    classes = frozenset[str]().union(*(e.classes for e in entries))
    if len({e.generics for e in entries}) == 1:  # one medicine under several names
        return Match(text, keys[0], entries[0].generics, classes, False, entries[0].kind == "ambiguous")
    generics = tuple(dict.fromkeys(g for e in entries for g in e.generics))
    return Match(text, "|".join(keys), generics, classes, confident=False, ambiguous=True)


def _fuzzy_piece(norms: list[str]) -> tuple[str, ...]:
    """Best fuzzy candidates for a piece, over windows of 1-4 words within the runs of words left once noise and
    common words are set aside: the closest wins, then the longer window, then the earlier. At most
    _FUZZY_WINDOWS windows are tried, which bounds the work on a long line of unknown words."""
    runs: list[list[str]] = [[]]
    for token in norms:
        if token.isalpha() and token not in _NOISE and token not in _COMMON:
            runs[-1].append(token)
        elif runs[-1]:
            runs.append([])
    windows = (
        " ".join(run[i : i + width])
        for run in runs
        for width in range(min(len(run), _FUZZY_WORDS), 0, -1)
        for i in range(len(run) - width + 1)
    )
    best: tuple[int, tuple[str, ...]] = (99, ())
    for _, window in zip(range(_FUZZY_WINDOWS), windows, strict=False):
        distance, keys = _fuzzy(window)
        if keys and distance < best[0]:
            best = (distance, keys)
    return best[1]


def _limit(length: int) -> int:
    """Edits allowed at this length: none below 4 letters, 1 up to 6, 2 from 7."""
    return 0 if length < 4 else 1 if length <= 6 else 2


@functools.lru_cache(maxsize=8192)
def _fuzzy(word: str) -> tuple[int, tuple[str, ...]]:
    """(edits, names) of the vocabulary names closest to a misspelt `word`.

    Distance is optimal string alignment (a transposition is one edit); a name qualifies within _limit of the
    shorter of the two. "About equally close": every name at the best distance is kept (different medicines make
    the match ambiguous), and a LOOKALIKES partner of a kept name joins when it is at most one edit further and
    within its own limit ("lamisal": Lamisil at 1, Lamictal at 2, so both). Candidates come from a deletion
    index (SymSpell), never from a scan of every name.
    """
    vocab, depth = _vocab(), _limit(len(word))
    if not depth or len(word) > vocab.longest + depth:
        return 0, ()
    index, best = _deletion_index(), dict[str, int]()
    for spelling in {s for variant in _deletions(word, depth) for s in index.get(variant, ())}:
        allowed = _limit(min(len(word), len(spelling)))
        distance, key = _osa(word, spelling, allowed), vocab.lookup[spelling]
        if distance <= min(allowed, best.get(key, 99)):
            best[key] = distance
    if not best:
        return 0, ()
    top = min(best.values())
    keys = sorted(k for k, d in best.items() if d == top)
    for partner in (p for k in list(keys) for a, p in _PAIRS if a == k):
        allowed = min(top + 1, _limit(min(len(word), len(partner))))
        if partner not in keys and _osa(word, partner, allowed) <= allowed:
            keys.append(partner)
    return top, tuple(keys)


@functools.cache
def _deletion_index() -> dict[str, tuple[str, ...]]:
    """Each spelling with up to _limit of its letters deleted -> the spellings it came from."""
    index: dict[str, list[str]] = {}
    for spelling in _vocab().lookup:
        if len(spelling) >= 4 and spelling.replace(" ", "").isalpha():
            for variant in _deletions(spelling, _limit(len(spelling))):
                index.setdefault(variant, []).append(spelling)
    return {variant: tuple(spellings) for variant, spellings in index.items()}


def _deletions(word: str, depth: int) -> set[str]:
    found, frontier = {word}, {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


def _osa(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance, or limit + 1 as soon as it must exceed `limit`."""
    while a and b and a[0] == b[0]:  # a shared start or end costs nothing: trim it
        a, b = a[1:], b[1:]
    while a and b and a[-1] == b[-1]:
        a, b = a[:-1], b[:-1]
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before, previous = [0] * (len(b) + 1), list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] * (len(b) + 1)
        for j, cb in enumerate(b, start=1):
            cost = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, before[j - 2] + 1)
            current[j] = cost
        if min(current) > limit:
            return limit + 1
        before, previous = previous, current
    return previous[-1]


# ---------------------------------------------------------------- public matching API


def normalise(line: str) -> str:
    """The words matching looks at: lowercase ASCII, without strengths, numbers, units, dose, frequency, form and
    release words unless they belong to a known name ("Uniphyllin Continus 400" -> "uniphyllin continus",
    "Lyrica 150mg twice a day" -> "lyrica")."""
    norms = _tokens(unicodedata.normalize("NFC", line))[0]
    inside = {i for a, b, _ in _find_names(norms, _vocab()) for i in range(a, b)}
    kept = [t for i, t in enumerate(norms) if i in inside or t.isalpha() and t not in _NOISE and t != "and"]
    return " ".join(kept)


def split_line(line: str) -> list[str]:
    """The pieces of one line, as typed: cut at , ; + & / and "and", never inside a known name or a strength
    such as "30/500". A line of one piece is returned whole."""
    return [piece for piece, _ in _analyse(line.strip())]


def match(line: str) -> Match | None:
    """The best match in a text naming one medicine: the first confident match, else the first (fuzzy or
    ambiguous) one; None when nothing is recognised."""
    found = [m for _, matches in _analyse(line.strip()) for m in matches]
    return next((m for m in found if m.confident), found[0] if found else None)


def match_list(text: str) -> list[tuple[str, list[Match]]]:
    """One entry per non-blank line: (the line as typed, stripped; every medicine found in it).

    Each piece of a line (split_line) gives its known names, or failing those one fuzzy match; a medicine named
    twice on a line ("pregabalin (Lyrica)") is listed once. An empty list means the line was not recognised: it is
    kept verbatim for med_unrecognised.
    """
    result = []
    for raw in text.splitlines():
        if line := raw.strip():
            found: dict[tuple[object, ...], Match] = {}
            for m in (m for _, matches in _analyse(line) for m in matches):
                found.setdefault((m.generics, m.classes, m.confident, m.ambiguous), m)
            result.append((line, list(found.values())))
    return result


def unrecognised_pieces(line: str) -> list[str]:
    """The pieces of one line that name something but match no medicine ("fluffitol" in "paracetamol,
    fluffitol"); pieces of only doses and frequencies ("75mg at night") are not counted."""
    stripped = line.strip()
    if not stripped:
        return []
    return [piece for piece, matches in _analyse(stripped) if not matches and normalise(piece)]


def clear_cache() -> None:
    """Forget the results cached per line and per misspelling (for benchmarks and tests)."""
    _analyse.cache_clear()
    _fuzzy.cache_clear()
