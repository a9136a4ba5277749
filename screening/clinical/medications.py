"""Medicines: free-text medicine lines -> generic names and the drug classes the rules use.

Owns screening/clinical/data/medications.csv (parsing, checks, fingerprint) and the matching rules of clinical-rules.md
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
    ("oud_treatment", "opioid-use-disorder treatment"), ("opioid_antagonist", "Opioid antagonist (naltrexone)"),
    ("maoi", "MAO inhibitor"), ("stimulant", "stimulant"), ("theophylline", "theophylline or aminophylline"),
    ("lamotrigine", "lamotrigine"), ("cyp3a4_inhibitor", "CYP3A4 inhibitor"), ("cyp_inducer", "CYP enzyme inducer"),
    ("thyroid_hormone", "thyroid hormone"), ("ketamine", "ketamine or esketamine"),
    ("nmda_antagonist", "NMDA antagonist"),
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

# ---- words that are not medicines. Every other word on a line is matched or reported (med_unrecognised).
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
_COMMON = frozenset(  # neither reported nor fuzzy-matched: "some" is one edit from Soma
    "some none nil nothing not no yes sure unsure unknown dont know remember cant stopped stop started start last "
    "year years ago since before after pain relief killer killers painkiller painkillers blood pressure sleep "
    "sleeping anxiety depression nerve nerves back neck head headache migraine heart thyroid vitamin vitamins "
    "supplement supplements herbal from doctor prescribed over counter like other others various water coffee "
    "alcohol this that these those have had has was were been being but because which what medication medications "
    "medicine medicines meds drug drugs same note stomach skin eyes joint joints muscle muscles spasm cramps mood "
    "tired".split()
)
# Words a patient writes around medicine names (purpose, who prescribed, how): neither matched nor reported.
_FILLER = frozenset(
    "my me i im ive your his her our their it its is are am be do does did will would should can could may might "
    "and but so too very just really also plus with without via into onto off out all any each both other "
    "prescription repeat repeats gp dr doctors consultant specialist hospital clinic pharmacy pharmacist chemist "
    "otc rx shop bought buy brand generic name names strength strengths regular new old low high dose doses higher "
    "lower increased decreased reduced reducing weaning tapering course short term shot shots pen pens injected "
    "inject sprayed inhaled puffer device pump pack packs box bottle oil drink drinks shot "
    "headaches migraines chest infection infections colds coughs sore throat fever temperature "
    "allergy allergies hayfever hay asthma breathing bladder bowel bowels constipation diarrhoea diarrhea sickness "
    "nausea sick vomiting acid reflux heartburn indigestion cholesterol diabetes sugar sugars arthritis inflammation "
    "swelling fibromyalgia sciatica period periods contraception menopause fatigue energy focus concentration adhd "
    "mental health mood stabiliser stabilizer ssri steroid steroids antibiotic "
    "antibiotics relief relieve support therapy treatment dental teeth tooth leg legs arm arms knee knees "
    "hip hips shoulder shoulders foot feet hand hands spine lower upper side sides left right both ear ears eye "
    "express rapid advance original caplets gelcaps liquigels junior children childrens kids adult adults infant "
    "tension daily pink yellow white blue green red orange purple brown black grey gray kit linctus elixir tincture "
    "troche troches wafer wafers compounded severe congestion sinus memory dementia alzheimers parkinsons epilepsy "
    "seizures spasms cramp stiffness insomnia nights nhs private online dry chesty tickly ac pc "
    "change changed changing replace replaced remove chew chewed swallow dissolve dissolved inhale inhaled rub insert "
    "place put wear given give gives get gets got try tried trying recently recent started stopping ongoing continue "
    "continued current previously previous past former rarely often mostly always never usual usually around about "
    "approximately roughly least most less more than until till while during between whenever wherever each every "
    "increase increased increasing decrease decreasing reduce reduction titrating titrated weaning wean breakthrough "
    "flare flares flareup flareups acute chronic rescue emergency trial trialled trialed waiting list awaiting due "
    "review reviewed plan planned hopefully maybe possibly think thought believe unsure supposed meant ok okay "
    "help helps helped works worked working doesnt didnt dont work effect effects side cpap bipap machine".split()
)
# Words that change a product's ingredients when written straight after its name ("Nurofen Plus", "Tylenol PM",
# "Robitussin DM", "Feminax Ultra", "Robitussin AC"): the name alone is then never confident. Each implies the
# ingredient of the product family it usually names, added as a candidate when the name is an analgesic (all) or a
# cough/cold product (DM, AC and the cough/cold words).
_QUALIFIERS: Mapping[str, str] = MappingProxyType({
    "plus": "codeine", "+": "codeine", "extra": "codeine", "max": "codeine", "maximum": "codeine",
    "ultra": "codeine", "forte": "codeine", "compound": "codeine", "#": "codeine", "ac": "codeine",
    "pm": "diphenhydramine", "night": "diphenhydramine", "nighttime": "diphenhydramine", "nite": "diphenhydramine",
    "dm": "dextromethorphan", "cough": "dextromethorphan", "cold": "dextromethorphan", "flu": "dextromethorphan",
})  # fmt: skip
_NIGHT_OR_COLD = frozenset({"night", "nighttime", "nite", "cough", "cold", "flu"})  # only after analgesics, cough/cold
_FOR_COUGH_COLD = frozenset({"ac", "dm", "cough", "cold", "flu"})  # also add their ingredient to cough/cold products
_ANALGESICS = frozenset({"paracetamol", "ibuprofen", "aspirin", "naproxen", "diclofenac"})
_COUGH_COLD = frozenset({"dextromethorphan", "guaifenesin", "phenylephrine", "diphenhydramine", "doxylamine"})
# Words that stand for a medicine not named ("Lyrica and sleeping tablets", "cough mixture"): reported in a piece of
# the line that names no medicine, unless they say what one is for ("for sleeping"); never fuzzy-matched.
_DESCRIPTORS = frozenset(
    "painkiller painkillers killer killers sleeping sleepers cough cold flu antihistamine antihistamines "
    "antidepressant antidepressants sedative sedatives tranquilliser tranquillisers tranquilizer tranquilizers "
    "relaxant relaxants".split()
)
_NOT_MEDICINE = (_NOISE | _COMMON | _FILLER) - _DESCRIPTORS  # a qualifier alone ("Ultra") is reported, too
_NEVER_FUZZY = _DESCRIPTORS | frozenset(_QUALIFIERS)  # words that enter a run of leftover words but name no medicine
_ABBREVIATIONS = frozenset("st no nr dr mr mrs ms approx vs etc eg ie tab tabs cap caps inj mg mcg ml bd od".split())
_NUMBER_WORDS = frozenset({"no", "nr", "number"})  # "No. 3", "nr 3" -> "#3"

_SPLITTERS = frozenset({",", ";", "+", "&", "and", "plus", "with", "."})
_COUNTED = frozenset("times x a per daily tablet tablets tab tabs caps capsules".split())  # "Tylenol 3 times"
_TOKEN_RE = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:['’`][^\W\d_]+)*|[,;+/&#.]")
_ASCII_TOKEN_RE = re.compile(r"\d+(?:[.,]\d+)*|[a-z]+(?:['`][a-z]+)*|[,;+/&#.]")
_APOSTROPHES_AND_COMMAS = str.maketrans("", "", "'`,")
_NOT_WORD_RE, _NOT_NUMBER_RE = re.compile(r"[^a-z0-9]"), re.compile(r"[^0-9.]")
_FUZZY_WINDOWS, _FUZZY_WORDS = 40, 4  # per line: bounds the work on long unmatched text
_SOUNDALIKE_STARTS = ("ckq", "sxz", "fp", "iy", "gj")  # a misspelling two edits away keeps its first sound

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
    lookup: Mapping[str, str]  # every spelling tried (keys, run-together keys, "# 3" / "3" variants) -> key
    first: Mapping[str, int]  # first token -> most tokens in a spelling starting with it
    longest: int  # longest spelling, in characters
    siblings: Mapping[str, tuple[str, ...]]  # key -> keys of the longer names that start with it ("tylenol pm")
    stems: Mapping[str, tuple[str, ...]]  # a first word that is no name itself -> its names ("solpadeine plus")


@dataclass(frozen=True)
class Match:
    """A medicine found in a patient's text (`text`: the piece of the line, as typed).

    `name` is the normalised vocabulary name matched ("klonopin"), or, when the match names several candidates
    (a fuzzy match close to several medicines, a brand with a qualifier, a brand name on its own), their names
    joined by "|"; a candidate "a+b" is product a with ingredient b added ("tylenol+codeine": what "Tylenol No. 5"
    may be). `generics` holds every ingredient of a combination product, or every candidate's when `ambiguous`;
    `classes` is their union.
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
            wordings = [_wording(k) for k in self.name.split("|")]
            if all(wordings):
                return " or ".join(dict.fromkeys(w for w in wordings if w)) + "?"
            return " or ".join(self.generics) + "?"
        labels = [_label(label, self.generics) for c, label in CLASS_LABELS.items() if c in self.classes]
        shown = [label for label in labels if label]
        text = " + ".join(self.generics) + (f" ({', '.join(shown)})" if shown else "")
        return text if self.confident else f"possibly {text}"


def _label(label: str, generics: tuple[str, ...]) -> str:
    """A class label as evidence shows it beside these generics: none when it only names them ("lamotrigine"),
    without its example when the example is one of them ("Opioid antagonist (naltrexone)" beside naltrexone)."""
    if not set(label.split(" or ")).isdisjoint(generics):
        return ""
    head, _, example = label.partition(" (")
    return head if example.rstrip(")") in generics else label


def _wording(key: str) -> str:
    """A candidate's wording: the entry's ("diphenhydramine (US)"), or "paracetamol + codeine" for "tylenol+codeine";
    empty when the key is not in the vocabulary (a match stored under an older vocabulary)."""
    entries = _vocab().entries
    parts = key.split("+")
    if not all(p in entries for p in parts):
        return ""
    return " + ".join(dict.fromkeys([entries[parts[0]].wording, *(g for p in parts[1:] for g in entries[p].generics)]))


# ---------------------------------------------------------------- the vocabulary


def load_vocabulary(source: str | Path | None = None) -> Vocabulary:
    """Parse and check a vocabulary: the packaged CSV (None), a file (Path) or CSV text (str).

    Blank lines and lines starting with "#" are skipped; the first other line is the header. Raises
    VocabularyError, naming the line, on a malformed row, an unknown class, kind or country, an undocumented
    source key, or a name that repeats another after normalisation.
    """
    if source is None:
        from importlib import resources  # here, not at the top: it adds ~8 ms to every import

        text = (resources.files("screening.clinical") / "data" / "medications.csv").read_text("utf-8")
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
        (bool(key) and set(key.split()).isdisjoint(",;+/&."), "a name without , ; + / & ."),
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
    for key in entries:  # "co codamol" is also typed "cocodamol"; "tylenol # 3" also "tylenol 3" (and back)
        for variant in _variants(key):
            lookup.setdefault(variant, key)
    first: dict[str, int] = {}
    for spelling in lookup:
        words = spelling.split()
        first[words[0]] = max(first.get(words[0], 0), len(words))
    siblings: dict[str, list[str]] = {}
    stems: dict[str, list[str]] = {}
    for key in entries:
        words = key.split()
        for n in range(1, len(words)):
            shorter = " ".join(words[:n])
            if shorter in entries:
                siblings.setdefault(shorter, []).append(key)
        if len(words) > 1 and words[0] not in lookup and len(words[0]) >= 4 and words[0] not in _NOT_MEDICINE:
            stems.setdefault(words[0], []).append(key)
    return Vocabulary(
        MappingProxyType(entries),
        MappingProxyType(lookup),
        first,
        max(map(len, lookup)),
        MappingProxyType({k: tuple(v) for k, v in siblings.items()}),
        MappingProxyType({k: tuple(v) for k, v in stems.items()}),
    )


def _variants(key: str) -> list[str]:
    """Other spellings of a name: run together ("cocodamol"), and a product number with or without its "#"
    ("tylenol # 3" and "tylenol 3"; "No. 3" is read as "# 3")."""
    words = key.split()
    found = [key.replace(" ", "")] if len(words) > 1 and key.replace(" ", "").isalpha() else []
    if len(words) > 2 and words[-2] == "#":
        found.append(" ".join([*words[:-2], words[-1]]))
    elif len(words) > 1 and words[-1].isdigit():
        found.append(" ".join([*words[:-1], "#", words[-1]]))
    return found


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


# ---------------------------------------------------------------- exact names, qualifiers and pieces
#
# A line becomes tokens: lowercase ASCII words and numbers (accents and apostrophes dropped, other punctuation a
# break; "No. 3" reads "# 3"; a full stop separates unless it closes an abbreviation such as "St." or "e.g.").
# Known names are found first, the longest at each position, so "MST Continus", "St John's wort" and "Tylenol with
# codeine" beat their parts and are never split. A brand followed at once by a qualifier ("Plus", "+", "Extra",
# "Max", "Ultra", "PM", "DM", "No. 5") or preceded by "co-" is never read confidently as the plain product: it names
# the brand's known products and the ingredient the qualifier usually adds (_QUALIFIERS). The line is cut into
# pieces at , ; + & . "and", "plus", "with", and at "/" unless it sits in a strength ("30/500", "mg/ml"). Every
# other run of words is then accounted for: a brand's first word on its own ("Solpadeine") names that brand's
# products, a misspelling gets a fuzzy match (_fuzzy), and what is left is reported as unrecognised. Only
# strengths, numbers, dose, frequency, form, release and salt words (_NOISE), common and filler words (_COMMON,
# _FILLER) and qualifiers are set aside.


@dataclass(frozen=True)
class _Found:
    """A known name at tokens [start, end) (with its qualifier or "co-" prefix); `candidates` None means exactly
    this entry, otherwise the keys it may be ("tylenol", "tylenol # 3", "tylenol+codeine")."""

    start: int
    end: int
    entry: Entry
    candidates: tuple[str, ...] | None


def _tokens(text: str, *, where: bool = False) -> tuple[list[str], list[tuple[int, int]]]:
    """The normalised words, numbers and separators of `text`; with `where`, also where each is."""
    if text.isascii():  # the common case, kept fast (lower() keeps every place in ASCII)
        if not where:
            found = _ASCII_TOKEN_RE.findall(text.lower())
            return _rewrite(
                [t if len(t) == 1 or t.isalnum() else t.translate(_APOSTROPHES_AND_COMMAS) for t in found], []
            )
        spans = [(m.group(), m.span()) for m in _ASCII_TOKEN_RE.finditer(text.lower())]
        return _rewrite(
            [t if len(t) == 1 or t.isalnum() else t.translate(_APOSTROPHES_AND_COMMAS) for t, _ in spans],
            [span for _, span in spans],
        )
    tokens, places = [], []
    for m in _TOKEN_RE.finditer(text):
        raw = "".join(c for c in unicodedata.normalize("NFKD", m.group()) if not unicodedata.combining(c)).casefold()
        if len(raw) == 1 and raw in ",;+/&#.":
            token = raw
        else:  # a word in another script is kept as it is: it matches nothing, so it is reported
            token = (_NOT_NUMBER_RE if raw[:1].isdigit() else _NOT_WORD_RE).sub("", raw)
            token = token or (raw if raw.isalpha() else "")
        if token:
            tokens.append(token)
            places.append((m.start(), m.end()))
    return _rewrite(tokens, places)


def _rewrite(tokens: list[str], places: list[tuple[int, int]]) -> tuple[list[str], list[tuple[int, int]]]:
    """ "No. 3" and "nr 3" -> "# 3"; a full stop at either end or after an abbreviation or a single letter is
    dropped (the other full stops separate medicines: "Lyrica. Tramadol.")."""
    if "." not in tokens and _NUMBER_WORDS.isdisjoint(tokens):
        return tokens, places
    kept: list[str] = []
    where: list[tuple[int, int]] = []
    last = len(tokens) - 1
    for i, token in enumerate(tokens):
        if token == ".":  # noqa: S105 (a word of the text, not a password)
            before = kept[-1] if kept else ""
            if not before or i == last or before in _ABBREVIATIONS or before == "#" or len(before) == 1:
                continue
        elif token in _NUMBER_WORDS:
            after = [t for t in tokens[i + 1 : i + 3] if t != "."][:1] or [""]
            token = "#" if after[0][:1].isdigit() else token
        kept.append(token)
        if places:
            where.append(places[i])
    return kept, where


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


def _qualified(norms: list[str], spans: list[tuple[int, int, Entry]], vocab: Vocabulary) -> list[_Found]:
    """Each known name with the qualifier after it or the "co-" before it, if any (module comment above)."""
    found = []
    for a, b, entry in spans:
        start, end, candidates = a, b, None
        if a and norms[a - 1] == "co":  # "co-codeine": a co- product, not the plain medicine
            start, mine = a - 1, set(entry.generics)
            co = (k for k, e in vocab.entries.items() if k[:3] == "co " and mine <= set(e.generics))
            candidates = (entry.key, *co)
        if qualifier := _qualifier(norms, b, entry, vocab):
            word, end = qualifier
            candidates = tuple(dict.fromkeys((*(candidates or ()), *_family(entry, word, vocab))))
        found.append(_Found(start, end, entry, candidates))
    return found


def _qualifier(norms: list[str], at: int, entry: Entry, vocab: Vocabulary) -> tuple[str, int] | None:
    """(the qualifier, the token after it) when tokens from `at` qualify `entry`'s name, else None."""
    if at >= len(norms) or entry.kind == "generic":
        return None
    token, after = norms[at], norms[at + 1] if at + 1 < len(norms) else ""
    if token in ("plus", "+"):  # "Nurofen Plus" / "Nurofen+"; "Lyrica plus (a) memantine" separates
        rest = norms[at + 1 :]
        stop = next((j for j, t in enumerate(rest) if t in _SPLITTERS or t == "/"), len(rest))
        alone = all(t in _NOT_MEDICINE or not t.isalpha() for t in rest[:stop])
        return (token, at + 1) if alone else None
    if token == "#" and after.isdigit() and 0 < int(after) < 10:  # noqa: S105 (a word of the text, not a password)
        return "#", at + 2
    if token.isdigit() and 0 < int(token) < 10 and after not in _COUNTED and after not in _UNITS and after != "/":
        depth = len(entry.key.split())
        numbered = any(k.split()[depth] == "#" for k in vocab.siblings.get(entry.key, ()))
        return ("#", at + 1) if numbered else None  # "Tylenol 2"; "Lamictal 2" is a strength
    if token not in _QUALIFIERS or after == "strength" or (token in ("max", "maximum") and after[:1].isdigit()):
        return None  # "Extra Strength", "Maximum Strength": a strength, not an ingredient; "max 8 a day": a limit
    if token in _NIGHT_OR_COLD and not (_ANALGESICS | _COUGH_COLD).intersection(entry.generics):
        return None
    return token, at + 1


def _family(entry: Entry, word: str, vocab: Vocabulary) -> tuple[str, ...]:
    """What a name with a qualifier may be, the plain product first: the brand's products the qualifier names
    ("Tylenol Extra": Tylenol Extra Strength); else, for an analgesic or cough/cold brand, its products with the
    ingredient the qualifier usually adds ("Nurofen Max": Nurofen Plus), or the brand with that ingredient added
    ("Panadol Forte" with codeine, "Tylenol Cold" with dextromethorphan); else every product of the brand."""
    depth, word = len(entry.key.split()), "plus" if word == "+" else word
    siblings = vocab.siblings.get(entry.key, ())
    if named := [k for k in siblings if word in k.split()[depth:]]:
        return (entry.key, *named)
    implied = vocab.entries[_QUALIFIERS[word]]
    takes = _ANALGESICS | (_COUGH_COLD if word in _FOR_COUGH_COLD else frozenset())
    if entry.kind != "ambiguous" and takes.intersection(entry.generics) and not implied.classes <= entry.classes:
        carrying = [k for k in siblings if implied.key in vocab.entries[k].generics]
        return (entry.key, *(carrying or [f"{entry.key}+{implied.key}"]))
    return (entry.key, *siblings)


def _splits(norms: list[str], i: int) -> bool:
    if norms[i] != "/":
        return norms[i] in _SPLITTERS
    near = (norms[i - 1] if i else "", norms[i + 1] if i + 1 < len(norms) else "")
    return not any(t[:1].isdigit() or t in _UNITS for t in near)  # "30/500", "mg/ml" hold


_Piece = tuple[str, tuple[Match, ...], tuple[str, ...]]  # as typed, its matches, its unrecognised words as typed


@functools.lru_cache(maxsize=2048)
def _analyse(line: str) -> tuple[_Piece, ...]:
    """(piece as typed, its matches, its unrecognised runs of words as typed) for each piece of a stripped line."""
    vocab = _vocab()
    text = line if line.isascii() else unicodedata.normalize("NFC", line)
    norms = _tokens(text)[0]
    found = _qualified(norms, _find_names(norms, vocab), vocab)
    used = {i for f in found for i in range(f.start, f.end)}
    end = len(norms)
    cuts = [i for i, t in enumerate(norms) if i not in used and _splits(norms, i)]
    left = [
        i
        for i, t in enumerate(norms)
        if t not in _NOT_MEDICINE
        and i not in used
        and len(t) > 1
        and t.isalpha()
        and not (t in _QUALIFIERS and i + 1 < end and norms[i + 1] == "strength")  # "Extra Strength" is no name
        and not (t in _DESCRIPTORS and _purpose(norms, i, used))
    ]
    places = _tokens(text, where=True)[1] if cuts or left else [(0, len(text))] * end  # one piece: the whole line
    pieces, at, budget = [], 0, [_FUZZY_WINDOWS]
    for a, b in zip([-1, *cuts], [*cuts, end], strict=True):
        if b - a < 2:
            continue
        piece, hits = text[places[a + 1][0] : places[b - 1][1]], []
        while at < len(found) and found[at].start < b:  # known names: confident unless ambiguous or qualified
            f, at = found[at], at + 1
            if f.candidates is None:
                sure = f.entry.kind != "ambiguous"  # Benadryl: an exact name, yet its content is unknown
                hits.append((f.start, Match(piece, f.entry.key, f.entry.generics, f.entry.classes, sure, not sure)))
            else:
                hits.append((f.start, _candidates(f.candidates, piece)))
        unknown: list[tuple[int, int]] = []
        run: list[int] = []
        named = bool(hits)  # beside a medicine's name, "cough syrup" or "(muscle relaxant)" says what it is
        for i in (i for i in left if a < i < b and not (named and norms[i] in _DESCRIPTORS)):
            if run and i != run[-1] + 1:
                _resolve(run, norms, piece, hits, unknown, budget)
                run = []
            run.append(i)
        if run:
            _resolve(run, norms, piece, hits, unknown, budget)
        words = tuple(text[places[i][0] : places[j][1]] for i, j in sorted(unknown))
        pieces.append((piece, tuple(m for _, m in sorted(hits, key=lambda hit: hit[0])), words))
    return tuple(pieces)


def _purpose(norms: list[str], i: int, used: set[int]) -> bool:
    """Whether the word at `i` says what a medicine is for or which kind it is: it follows "for" ("for cough") or a
    qualifier ("NyQuil Cold & Flu") with only filler words and "and" / "&" between."""
    while i and (norms[i - 1] in _NOT_MEDICINE or norms[i - 1] in _DESCRIPTORS or norms[i - 1] == "&"):
        if norms[i - 1] == "for" or (i - 1 in used and norms[i - 1] in _QUALIFIERS):
            return True
        i -= 1
    return False


def _resolve(
    run: list[int],
    norms: list[str],
    piece: str,
    hits: list[tuple[int, Match]],
    unknown: list[tuple[int, int]],
    budget: list[int],
) -> None:
    """Account for a run of leftover words: brand first words and fuzzy matches, the closest first, then the
    longer, then the earlier; each word left after that goes to `unknown` (as first and last token index)."""
    vocab = _vocab()
    taken = [False] * len(run)
    for _, minus_width, i, keys in sorted(_windows(run, norms, budget)):
        if not any(taken[i : i - minus_width]):
            taken[i : i - minus_width] = [True] * -minus_width
            after = run[i - minus_width - 1] + 1  # "nurofin plus": the qualifier counts after a misspelling too
            families = [
                _family(vocab.entries[k], q[0], vocab)
                if len(keys) == 1 and (q := _qualifier(norms, after, vocab.entries[k], vocab))
                else (k,)
                for k in keys
            ]
            hits.append((run[i], _candidates(tuple(dict.fromkeys(k for f in families for k in f)), piece)))
    for i, word_taken in enumerate(taken):
        if not word_taken:
            if unknown and i and not taken[i - 1] and unknown[-1][1] == run[i - 1]:
                unknown[-1] = (unknown[-1][0], run[i])  # one report per run of unknown words
            else:
                unknown.append((run[i], run[i]))


def _windows(run: list[int], norms: list[str], budget: list[int]) -> list[tuple[int, int, int, tuple[str, ...]]]:
    """(edits, -words, first word, names) of each window of 1-4 words of `run` that is a brand first word or a
    misspelling; at most `budget` fuzzy look-ups per line, which bounds the work on a long line of unknown words."""
    vocab, found = _vocab(), []
    for width in range(min(len(run), _FUZZY_WORDS), 0, -1):
        for i in range(len(run) - width + 1):
            words = [norms[j] for j in run[i : i + width]]
            window = " ".join(words)
            if window in vocab.stems:
                found.append((0, -width, i, vocab.stems[window]))
            elif _limit(len(window)) and budget[0] > 0 and _NEVER_FUZZY.isdisjoint(words):
                budget[0] -= 1
                distance, keys = _fuzzy(window)
                if keys:
                    found.append((distance, -width, i, keys))
    return found


# ---------------------------------------------------------------- misspellings and candidates


def _candidates(keys: tuple[str, ...], text: str) -> Match:
    """A match that is never confident, naming every candidate (an "a+b" key is product a with b added)."""
    entries = _vocab().entries
    parts = [[entries[k] for k in key.split("+")] for key in keys]
    found = [
        (tuple(dict.fromkeys(g for e in p for g in e.generics)), frozenset[str]().union(*(e.classes for e in p)))
        for p in parts
    ]
    classes = frozenset[str]().union(*(c for _, c in found))
    if len({g for g, _ in found}) == 1:  # one medicine under several names
        return Match(text, keys[0], found[0][0], classes, False, parts[0][0].kind == "ambiguous" and len(parts[0]) == 1)
    generics = tuple(dict.fromkeys(g for gs, _ in found for g in gs))
    return Match(text, "|".join(keys), generics, classes, confident=False, ambiguous=True)


def _limit(length: int) -> int:
    """Edits allowed at this length: none below 4 letters, 1 up to 6, 2 from 7."""
    return 0 if length < 4 else 1 if length <= 6 else 2


def _same_start(a: str, b: str) -> bool:
    """The same first letter, or two that sound alike ("klonapin" / clonazepam, "zanax" / Xanax)."""
    return a[0] == b[0] or any(a[0] in group and b[0] in group for group in _SOUNDALIKE_STARTS)


@functools.lru_cache(maxsize=8192)
def _fuzzy(word: str) -> tuple[int, tuple[str, ...]]:
    """(edits, names) of the vocabulary names closest to a misspelt `word`.

    Distance is optimal string alignment (a transposition is one edit); a name qualifies within _limit of the
    shorter of the two, and at two edits only if it starts with the same sound ("lecaent" is not PecFent).
    "About equally close": every name at the best distance is kept (different medicines make the match
    ambiguous), and a LOOKALIKES partner of a kept name joins when it is at most one edit further and within its
    own limit ("lamisal": Lamisil at 1, Lamictal at 2, so both) - or within two edits when it adds a class the
    others lack ("zantax": Zantac at 1, Xanax at 2: a benzodiazepine is never dropped for an antacid). Candidates
    come from a deletion index (SymSpell), never from a scan of every name.
    """
    vocab, depth = _vocab(), _limit(len(word))
    if not depth or len(word) > vocab.longest + depth:
        return 0, ()
    index, best = _deletion_index(), dict[str, int]()
    for spelling in {s for variant in _deletions(word, depth) for s in index.get(variant, ())}:
        allowed = _limit(min(len(word), len(spelling)))
        distance = _osa(word, spelling, allowed)
        for key in (vocab.lookup[spelling],) if spelling in vocab.lookup else vocab.stems[spelling]:
            if distance <= min(allowed, best.get(key, 99)) and (distance < 2 or _same_start(word, spelling)):
                best[key] = distance
    if not best:
        return 0, ()
    top = min(best.values())
    keys = sorted(k for k, d in best.items() if d == top)
    classes = frozenset[str]().union(*(vocab.entries[k].classes for k in keys))
    for partner in (p for k in list(keys) for a, p in _PAIRS if a == k):
        adds = not vocab.entries[partner].classes <= classes
        allowed = min(top + 1, 2 if adds else _limit(min(len(word), len(partner))))
        if partner not in keys and _osa(word, partner, allowed) <= allowed:
            keys.append(partner)
    return top, tuple(keys)


@functools.cache
def _deletion_index() -> dict[str, tuple[str, ...]]:
    """Each spelling (and brand first word: "solpadeine") with up to _limit of its letters deleted -> the
    spellings it came from."""
    index: dict[str, list[str]] = {}
    for spelling in (*_vocab().lookup, *_vocab().stems):
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
    kept = [t for i, t in enumerate(norms) if i in inside or t.isalpha() and t not in _NOISE and t not in _SPLITTERS]
    return " ".join(kept)


def split_line(line: str) -> list[str]:
    """The pieces of one line, as typed: cut at , ; + & . / and "and", "plus", "with", never inside a known name
    or a strength such as "30/500". A line of one piece is returned whole."""
    return [piece for piece, _, _ in _analyse(line.strip())]


def match(line: str) -> Match | None:
    """The best match in a text naming one medicine: the first confident match, else the first (fuzzy or
    ambiguous) one; None when nothing is recognised."""
    found = [m for _, matches, _ in _analyse(line.strip()) for m in matches]
    return next((m for m in found if m.confident), found[0] if found else None)


def match_list(text: str) -> list[tuple[str, list[Match]]]:
    """One entry per non-blank line: (the line as typed, stripped; every medicine found in it).

    Each piece of a line (split_line) gives its known names (qualified ones as candidates), its brand first words
    and its misspellings; a medicine named twice on a line ("pregabalin (Lyrica)") is listed once. An empty list
    means the line was not recognised: it is kept verbatim for med_unrecognised. Words on a recognised line that
    match nothing are given by unrecognised_pieces.
    """
    result = []
    for raw in text.splitlines():
        if line := raw.strip():
            found: dict[tuple[object, ...], Match] = {}
            for m in (m for _, matches, _ in _analyse(line) for m in matches):
                found.setdefault((m.generics, m.classes, m.confident, m.ambiguous), m)
            result.append((line, list(found.values())))
    return result


def unrecognised_pieces(line: str) -> list[str]:
    """The words of one line, as typed, that match no medicine ("fluffitol" in "paracetamol, fluffitol";
    "Mounjaro" in "sertraline with Mounjaro weekly"): every run of words that is not a known name, a misspelling
    of one, or a strength, dose, frequency, form, filler or qualifier word ("75mg at night" gives none)."""
    stripped = line.strip()
    if not stripped:
        return []
    return [word for _, _, words in _analyse(stripped) for word in words]


def clear_cache() -> None:
    """Forget the results cached per line and per misspelling (for benchmarks and tests)."""
    _analyse.cache_clear()
    _fuzzy.cache_clear()
