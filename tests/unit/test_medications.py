"""Tests of screening.clinical.medications: the vocabulary, exact and fuzzy matching, splitting, odd input."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screening.clinical import medications
from screening.clinical.medications import CLASS_LABELS, CLASSES, LOOKALIKES, Match, VocabularyError, load_vocabulary

VOCABULARY = load_vocabulary()
GENERIC_ROWS = {e.generics[0]: e for e in VOCABULARY.entries.values() if e.kind == "generic"}


def only(text: str) -> Match:
    """The single match of a one-line, one-medicine text."""
    [(_, matches)] = medications.match_list(text)
    assert len(matches) == 1, matches
    return matches[0]


# ---------------------------------------------------------------- the vocabulary


def test_vocabulary_has_at_least_250_names() -> None:
    assert medications.vocabulary_size() == len(VOCABULARY.entries) >= 350


def test_vocabulary_uses_every_class_and_only_known_classes() -> None:
    used = set().union(*(e.classes for e in VOCABULARY.entries.values()))
    assert used == CLASSES == set(CLASS_LABELS)


def test_vocabulary_fingerprint_is_a_stable_sha256() -> None:
    first = medications.vocabulary_fingerprint()
    assert re.fullmatch(r"[0-9a-f]{64}", first)
    assert medications.vocabulary_fingerprint() == first


def test_vocabulary_fingerprint_is_stable_across_processes() -> None:
    code = "from screening.clinical import medications; print(medications.vocabulary_fingerprint())"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert other.stdout.strip() == medications.vocabulary_fingerprint()


def test_vocabulary_ingredients_are_known_generics() -> None:
    ingredients = {g for e in VOCABULARY.entries.values() for g in e.generics}
    assert ingredients - set(GENERIC_ROWS) == {"herbal sleep remedy"}  # Nytol Herbal: no medicine


# A product may add a class to its ingredients (Subutex adds oud_treatment) but drops one only by decision.
PRODUCTS_THAT_DROP_A_CLASS: set[str] = set()  # none since issue 11 (low-dose naltrexone is an opioid antagonist too)


def test_vocabulary_products_keep_their_ingredients_classes() -> None:
    for entry in VOCABULARY.entries.values():
        if entry.kind == "ambiguous" or entry.key in PRODUCTS_THAT_DROP_A_CLASS:
            continue
        expected = set().union(*(GENERIC_ROWS[g].classes for g in entry.generics if g in GENERIC_ROWS))
        assert expected <= entry.classes, entry.name


def test_vocabulary_generic_rows_of_one_ingredient_agree_on_its_classes() -> None:
    classes: dict[str, set[frozenset[str]]] = {}
    for entry in VOCABULARY.entries.values():
        if entry.kind == "generic":
            classes.setdefault(entry.generics[0], set()).add(entry.classes)
    assert {generic: found for generic, found in classes.items() if len(found) > 1} == {}


def test_vocabulary_lookalikes_name_known_medicines() -> None:
    assert {n for pair in LOOKALIKES for n in pair} <= set(VOCABULARY.entries)


def test_vocabulary_rows_cite_medicine_names_md_where_it_gives_a_source() -> None:
    by_name = {e.name: e.source for e in VOCABULARY.entries.values()}
    assert by_name["Zimovane"] == "BNF 0401010Z0BBAAAA"
    assert by_name["Klonopin"] == "OB 017533; BNF 0408010F0BCABCY"
    assert by_name["Armour Thyroid"].startswith("BNF 0602010Z0BBACAB")


def test_vocabulary_is_not_read_at_import() -> None:
    code = "import screening.clinical.medications as m; print(m._vocab.cache_info().currsize)"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert other.stdout.strip() == "0"


GOOD_ROW = "Zimovane,zopiclone,z_drug,brand,UK,BNF 0401010Z0BBAAAA"
HEADER = "name,generics,classes,kind,country,source"


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([GOOD_ROW, "zimovane,zopiclone,z_drug,brand,UK,curated"], "repeats 'Zimovane'"),
        (
            ["Co-codamol,codeine+paracetamol,opioid,combination,UK,curated", "co codamol,codeine,,brand,UK,curated"],
            "repeats",
        ),
        (["Zimovane,zopiclone,sleeping_pill,brand,UK,curated"], "class ids"),
        (["Zimovane,zopiclone,z_drug,product,UK,curated"], "a kind in"),
        (["Zimovane,zopiclone,z_drug,brand,FR,curated"], "a country in"),
        (["Zimovane,zopiclone,z_drug,brand,UK"], "expected 6 columns"),
        (["Zimovane,zopiclone,z_drug,brand,UK,a friend"], "source key"),
        (["Zimovane,zopiclone+diazepam,z_drug,brand,UK,curated"], "one generic"),
        (["Benadryl,diphenhydramine,,ambiguous,both,curated"], "joined by | in ambiguous rows only"),
        (["Benadryl,diphenhydramine|cetirizine,,brand,both,curated"], "joined by | in ambiguous rows only"),
        (["Benadryl,diphenhydramine (US)|,,ambiguous,both,curated"], "lowercase generic names"),
        (["Percocet,oxycodone,opioid,combination,US,curated"], "several generics"),
        (["Nytol,diphenhydramine (US),,brand,both,curated"], "qualifiers"),
        (["Zimovane,Zopiclone,z_drug,brand,UK,curated"], "lowercase generic names"),
        (["a/b,zopiclone,z_drug,brand,UK,curated"], "a name without"),
        (["---,zopiclone,z_drug,brand,UK,curated"], "a name without"),
        (["Lyrica. Tramadol,pregabalin,gabapentinoid,brand,UK,curated"], "a name without"),  # a full stop splits
    ],
)
def test_load_vocabulary_rejects_a_bad_row_naming_its_line(rows: list[str], message: str) -> None:
    text = "\n".join(["# a comment", HEADER, *rows])
    with pytest.raises(VocabularyError, match=re.escape(message)) as caught:
        load_vocabulary(text)
    assert re.match(r"line \d+: ", str(caught.value))


@pytest.mark.parametrize("text", ["", "# only a comment\n", HEADER, "name,generic,classes\n" + GOOD_ROW])
def test_load_vocabulary_rejects_a_missing_header_or_no_rows(text: str) -> None:
    with pytest.raises(VocabularyError):
        load_vocabulary(text)


def test_load_vocabulary_reads_a_path(tmp_path: Path) -> None:
    path = tmp_path / "vocabulary.csv"
    path.write_text(f"{HEADER}\n{GOOD_ROW}\n# a comment between rows\n\n", encoding="utf-8")
    vocabulary = load_vocabulary(path)
    assert list(vocabulary.entries) == ["zimovane"]
    assert vocabulary.entries["zimovane"].classes == {"z_drug"}


# ---------------------------------------------------------------- exact names

CLASS_BY_GENERIC_AND_BRAND = [  # class, a generic name, a brand (or other name) and the generic it maps to
    ("benzodiazepine", "diazepam", "Valium", "diazepam"),
    ("benzodiazepine", "clonazepam", "Rivotril", "clonazepam"),
    ("z_drug", "zopiclone", "Zimovane", "zopiclone"),
    ("z_drug", "zolpidem", "Ambien", "zolpidem"),
    ("gabapentinoid", "pregabalin", "Lyrica", "pregabalin"),
    ("gabapentinoid", "gabapentin", "Neurontin", "gabapentin"),
    ("muscle_relaxant", "baclofen", "Lioresal", "baclofen"),
    ("muscle_relaxant", "cyclobenzaprine", "Flexeril", "cyclobenzaprine"),
    ("sedating_antihistamine", "promethazine", "Phenergan", "promethazine"),
    ("sedating_antihistamine", "chlorphenamine", "Piriton", "chlorphenamine"),
    ("antipsychotic", "quetiapine", "Seroquel", "quetiapine"),
    ("antipsychotic", "prochlorperazine", "Stemetil", "prochlorperazine"),
    ("barbiturate", "phenobarbital", "phenobarbitone", "phenobarbital"),
    ("barbiturate", "butalbital", "Fiorinal", "butalbital"),
    ("opioid", "oxycodone", "OxyContin", "oxycodone"),
    ("opioid", "tramadol", "Zydol", "tramadol"),
    ("opioid", "morphine", "Zomorph", "morphine"),
    ("opioid_antagonist", "naltrexone", "Vivitrol", "naltrexone"),
    ("opioid_antagonist", "naltrexone", "Nalorex", "naltrexone"),
    ("maoi", "phenelzine", "Nardil", "phenelzine"),
    ("maoi", "linezolid", "Zyvox", "linezolid"),
    ("stimulant", "methylphenidate", "Ritalin", "methylphenidate"),
    ("stimulant", "lisdexamfetamine", "Elvanse", "lisdexamfetamine"),
    ("theophylline", "theophylline", "Uniphyllin Continus", "theophylline"),
    ("theophylline", "aminophylline", "Phyllocontin Continus", "aminophylline"),
    ("lamotrigine", "lamotrigine", "Lamictal", "lamotrigine"),
    ("cyp3a4_inhibitor", "clarithromycin", "Klaricid", "clarithromycin"),
    ("cyp3a4_inhibitor", "ticlopidine", "Ticlid", "ticlopidine"),
    ("cyp_inducer", "rifampicin", "Rifadin", "rifampicin"),
    ("cyp_inducer", "carbamazepine", "Tegretol", "carbamazepine"),
    ("thyroid_hormone", "levothyroxine", "Synthroid", "levothyroxine"),
    ("thyroid_hormone", "liothyronine", "Cytomel", "liothyronine"),
    ("ketamine", "ketamine", "Ketalar", "ketamine"),
    ("ketamine", "esketamine", "Spravato", "esketamine"),
    ("nmda_antagonist", "memantine", "Ebixa", "memantine"),
    ("nmda_antagonist", "amantadine", "Symmetrel", "amantadine"),
    ("nmda_antagonist", "dextromethorphan", "Delsym", "dextromethorphan"),
]
# oud_treatment belongs to products only (methadone and buprenorphine for opioid dependence), never to a generic
PRODUCT_ONLY_CLASSES = {"oud_treatment"}


def test_class_table_covers_every_class() -> None:
    assert {row[0] for row in CLASS_BY_GENERIC_AND_BRAND} | PRODUCT_ONLY_CLASSES == CLASSES


def test_product_only_classes_are_on_no_generic_row() -> None:
    generic_classes = set().union(*(e.classes for e in VOCABULARY.entries.values() if e.kind == "generic"))
    assert generic_classes.isdisjoint(PRODUCT_ONLY_CLASSES)


@pytest.mark.parametrize(("cls", "generic", "_brand", "_maps_to"), CLASS_BY_GENERIC_AND_BRAND)
def test_match_generic_has_its_class(cls: str, generic: str, _brand: str, _maps_to: str) -> None:
    found = only(generic)
    assert found.generics == (generic,)
    assert cls in found.classes
    assert found.confident and not found.ambiguous


@pytest.mark.parametrize(("cls", "_generic", "brand", "maps_to"), CLASS_BY_GENERIC_AND_BRAND)
def test_match_brand_maps_to_generic(cls: str, _generic: str, brand: str, maps_to: str) -> None:
    found = only(brand)
    assert maps_to in found.generics
    assert cls in found.classes
    assert found.confident


@pytest.mark.parametrize(
    ("text", "generics"),
    [
        ("acetaminophen", ("paracetamol",)),
        ("rifampin", ("rifampicin",)),
        ("meperidine", ("pethidine",)),
        ("chlorpheniramine", ("chlorphenamine",)),
        ("dextroamphetamine", ("dexamfetamine",)),
        ("thyroxine", ("levothyroxine",)),
        ("xannies", ("alprazolam",)),
        ("oxy", ("oxycodone",)),
        ("MST", ("morphine",)),
        ("Durogesic", ("fentanyl",)),
        ("Duragesic", ("fentanyl",)),
    ],
)
def test_match_us_uk_names_and_nicknames_map_to_one_generic(text: str, generics: tuple[str, ...]) -> None:
    assert only(text).generics == generics


@pytest.mark.parametrize(
    "text",
    [
        "amlodipine",
        "Lisinopril",
        "aspirin",
        "Eliquis",
        "metformin",
        "levetiracetam",
        "Omeprazole",
        "sertraline",
        "amitriptyline",
        "trazodone",
        "clonidine",
        "Lamisil",
        "cetirizine",
        "naloxone",
        "vitamin D3",
        "apixaban",
    ],
)
def test_match_known_medicine_without_class_is_recognised(text: str) -> None:
    found = only(text)
    assert found.classes == frozenset() and found.confident


@pytest.mark.parametrize(
    ("text", "classes"),
    [
        ("buprenorphine", {"opioid"}),
        ("Butrans", {"opioid"}),
        ("BuTrans 10 micrograms/hour patch", {"opioid"}),
        ("Subutex", {"opioid", "oud_treatment"}),
        ("Suboxone", {"opioid", "oud_treatment"}),
        ("Buvidal", {"opioid", "oud_treatment"}),
        ("Sublocade", {"opioid", "oud_treatment"}),
        ("methadone", {"opioid"}),
        ("Physeptone", {"opioid", "oud_treatment"}),
        ("Methadose", {"opioid", "oud_treatment"}),
        ("naltrexone", {"opioid_antagonist"}),
        ("Vivitrol", {"opioid_antagonist"}),
        ("low dose naltrexone 4.5mg", {"opioid_antagonist"}),
        ("LDN", {"opioid_antagonist"}),
        ("Mysimba", {"opioid_antagonist"}),
        ("lofexidine", set()),
        ("naloxone", set()),
        ("Nytol", {"sedating_antihistamine"}),
        ("Nytol Herbal", set()),
        ("phenobarbital", {"barbiturate", "cyp_inducer"}),
        ("Paxlovid", {"cyp3a4_inhibitor"}),
        ("itraconazole", set()),
    ],
)
def test_match_classes_belong_to_the_product(text: str, classes: set[str]) -> None:
    assert only(text).classes == classes


@pytest.mark.parametrize(
    ("text", "generics", "classes"),
    [
        ("co-codamol", ("codeine", "paracetamol"), {"opioid"}),
        ("co-dydramol", ("dihydrocodeine", "paracetamol"), {"opioid"}),
        ("Percocet", ("oxycodone", "paracetamol"), {"opioid"}),
        ("Vicodin", ("hydrocodone", "paracetamol"), {"opioid"}),
        ("Norco", ("hydrocodone", "paracetamol"), {"opioid"}),
        ("Tylenol with codeine", ("codeine", "paracetamol"), {"opioid"}),
        ("Tylenol #3", ("codeine", "paracetamol"), {"opioid"}),
        ("Suboxone", ("buprenorphine", "naloxone"), {"opioid", "oud_treatment"}),
        ("Paxlovid", ("nirmatrelvir", "ritonavir"), {"cyp3a4_inhibitor"}),
        ("Adderall", ("dexamfetamine", "amfetamine"), {"stimulant"}),
        ("Armour Thyroid", ("levothyroxine", "liothyronine"), {"thyroid_hormone"}),
        ("Fioricet", ("butalbital", "paracetamol", "caffeine"), {"barbiturate"}),
        ("Tylenol PM", ("paracetamol", "diphenhydramine"), {"sedating_antihistamine"}),
    ],
)
def test_match_combination_has_every_ingredient_and_class(
    text: str, generics: tuple[str, ...], classes: set[str]
) -> None:
    found = only(text)
    assert found.generics == generics
    assert found.classes == classes
    assert found.confident and not found.ambiguous


@pytest.mark.parametrize("text", ["tramadol", "trazodone", "Lamictal", "Lamisil", "clonazepam", "clonidine", "Xanax"])
def test_match_exact_name_is_always_confident(text: str) -> None:
    found = only(text)
    assert found.confident and not found.ambiguous and len(found.generics) == 1


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("co-codamol", "co codamol"),
        ("co codamol", "co codamol"),
        ("cocodamol", "co codamol"),
        ("Co-Codamol", "co codamol"),
        ("St. John's wort", "st johns wort"),
        ("St John’s Wort", "st johns wort"),
        ("st johns wort", "st johns wort"),
        ("stjohnswort", "st johns wort"),
        ("MST Continus", "mst continus"),
        ("Uniphyllin Continus", "uniphyllin continus"),
        ("Zomorph continus", "zomorph"),
        ("Slo-Phyllin", "slo phyllin"),
        ("slophyllin", "slo phyllin"),
        ("Theo-24", "theo 24"),
        ("gabapentin enacarbil", "gabapentin enacarbil"),
    ],
)
def test_match_longest_name_wins_in_any_spelling(text: str, name: str) -> None:
    assert only(text).name == name


def test_match_name_ending_in_a_number_takes_no_count() -> None:
    assert only("Tylenol 3").generics == ("codeine", "paracetamol")
    assert only("Tylenol 3 times a day").generics == ("paracetamol",)


# ---------------------------------------------------------------- what is set aside


@pytest.mark.parametrize(
    ("text", "name", "generics"),
    [
        ("Lyrica 150mg twice a day", "lyrica", ("pregabalin",)),
        ("Klonopin 0.5 at night", "klonopin", ("clonazepam",)),
        ("Lamictal 200", "lamictal", ("lamotrigine",)),
        ("Zimovane 7.5 at night", "zimovane", ("zopiclone",)),
        ("Klaricid 500 bd", "klaricid", ("clarithromycin",)),
        ("levothyroxine 50mcg", "levothyroxine", ("levothyroxine",)),
        ("Uniphyllin Continus 400", "uniphyllin continus", ("theophylline",)),
        ("OxyContin 10mg MR bd", "oxycontin", ("oxycodone",)),
        ("Seroquel XL 300mg nocte", "seroquel", ("quetiapine",)),
        ("tramadol 50mg prn", "tramadol", ("tramadol",)),
        ("two tablets of co-codamol 30/500 qds", "co codamol", ("codeine", "paracetamol")),
        ("fentanyl 12 micrograms/hour patch", "fentanyl", ("fentanyl",)),
        ("Oramorph 2.5ml when required", "oramorph", ("morphine",)),
        ("paracetamol 1g qds", "paracetamol", ("paracetamol",)),
        ("colecalciferol 400 iu daily", "colecalciferol", ("colecalciferol",)),
        ("capsaicin 0.075% cream", "capsaicin", ("capsaicin",)),
        ("Concerta XL 36mg in the morning", "concerta xl", ("methylphenidate",)),
        ("Adderall XR 20 mg mane", "adderall", ("dexamfetamine", "amfetamine")),
        ("Tegretol Retard 200mg twice daily", "tegretol", ("carbamazepine",)),
        ("quetiapine modified release 50 mg", "quetiapine", ("quetiapine",)),
        ("zopiclone 1 tab as needed", "zopiclone", ("zopiclone",)),
        ("diazepam 5 mg three times daily", "diazepam", ("diazepam",)),
        ("LEVOTHYROXINE SODIUM 100MCG OD", "levothyroxine", ("levothyroxine",)),
    ],
)
def test_match_ignores_strength_dose_frequency_and_release(text: str, name: str, generics: tuple[str, ...]) -> None:
    found = only(text)
    assert (found.name, found.generics, found.confident) == (name, generics, True)
    assert found.text == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Lyrica 150mg twice a day", "lyrica"),
        ("Uniphyllin Continus 400", "uniphyllin continus"),
        ("Zopiclóne 7.5mg", "zopiclone"),
        ("two tablets of co-codamol 30/500 qds", "co codamol"),
        ("St. John's wort", "st johns wort"),
        ("paracetamol, ibuprofen and codeine", "paracetamol ibuprofen codeine"),
        ("Seroquel XL 300mg nocte", "seroquel"),
        ("", ""),
    ],
)
def test_normalise_keeps_only_the_words_matching_looks_at(text: str, expected: str) -> None:
    assert medications.normalise(text) == expected


# ---------------------------------------------------------------- several medicines on a line


@pytest.mark.parametrize(
    ("line", "pieces", "generics"),
    [
        (
            "paracetamol, ibuprofen and codeine",
            ["paracetamol", "ibuprofen", "codeine"],
            [("paracetamol",), ("ibuprofen",), ("codeine",)],
        ),
        ("diazepam; zopiclone", ["diazepam", "zopiclone"], [("diazepam",), ("zopiclone",)]),
        (
            "co-codamol + amitriptyline",
            ["co-codamol", "amitriptyline"],
            [("codeine", "paracetamol"), ("amitriptyline",)],
        ),
        ("oxycodone/naloxone", ["oxycodone", "naloxone"], [("oxycodone",), ("naloxone",)]),
        ("sertraline & mirtazapine", ["sertraline", "mirtazapine"], [("sertraline",), ("mirtazapine",)]),
        (
            "co-codamol 30/500 two qds, Lyrica 75mg",
            ["co-codamol 30/500 two qds", "Lyrica 75mg"],
            [("codeine", "paracetamol"), ("pregabalin",)],
        ),
        ("diazepam zopiclone", ["diazepam zopiclone"], [("diazepam",), ("zopiclone",)]),
    ],
)
def test_match_list_finds_several_medicines_on_one_line(
    line: str, pieces: list[str], generics: list[tuple[str, ...]]
) -> None:
    assert medications.split_line(line) == pieces
    [(kept, matches)] = medications.match_list(line)
    assert kept == line
    assert [m.generics for m in matches] == generics


def test_split_line_keeps_a_strength_slash_and_a_known_name_whole() -> None:
    assert medications.split_line("co-codamol 30/500") == ["co-codamol 30/500"]
    assert medications.split_line("Tylenol with codeine, aspirin") == ["Tylenol with codeine", "aspirin"]


def test_match_returns_the_first_confident_match() -> None:
    found = medications.match("zanax, diazepam 5mg")
    assert found is not None and found.generics == ("diazepam",)
    assert medications.match("wibblezorp") is None


# ---------------------------------------------------------------- misspellings


@pytest.mark.parametrize(
    ("text", "generic", "cls"),
    [
        ("zanax", "alprazolam", "benzodiazepine"),  # one edit
        ("oxycodon", "oxycodone", "opioid"),
        ("pregablin", "pregabalin", "gabapentinoid"),
        ("gabapentine", "gabapentin", "gabapentinoid"),
        ("levothyroxin", "levothyroxine", "thyroid_hormone"),
        ("klonapin 0.5mg", "clonazepam", "benzodiazepine"),
        ("lyrika 75mg bd", "pregabalin", "gabapentinoid"),
        ("zopiclnoe", "zopiclone", "z_drug"),  # a transposition is one edit
        ("diazapan", "diazepam", "benzodiazepine"),  # two edits
        ("lorazapan", "lorazepam", "benzodiazepine"),
        ("serequil", "quetiapine", "antipsychotic"),
        ("levothyroxen", "levothyroxine", "thyroid_hormone"),
        ("co-codamal 30/500", "codeine", "opioid"),
        ("st jons wort", "st john's wort", "cyp_inducer"),
    ],
)
def test_match_misspelling_is_possible_not_confident(text: str, generic: str, cls: str) -> None:
    found = only(text)
    assert generic in found.generics and cls in found.classes
    assert not found.confident and not found.ambiguous
    assert found.describe().startswith(f"possibly {generic}")


@pytest.mark.parametrize("text", ["oxi", "mts", "ldm", "xan", "oxys", "ldns"])
def test_match_short_word_is_never_fuzzy(text: str) -> None:
    assert medications.match_list(text) == [(text, [])]


@pytest.mark.parametrize(
    "text",
    [
        "some vitamins",
        "none",
        "nil",
        "pain killers",
        "sleeping tablets",
        "blood pressure tablet",
        "not sure",
        "inhaler",
        "eye drops",
        "HRT patch",
        "the pill",
        "wibblezorp 5mg",
    ],
)
def test_match_common_words_are_not_read_as_medicines(text: str) -> None:
    assert medications.match_list(text) == [(text, [])]


@pytest.mark.parametrize(
    "text", ["doxepin", "suvorexant", "pseudoephedrine", "kratom", "donepezil", "Sudafed", "Anadin Extra"]
)
def test_match_medicine_left_out_on_purpose_stays_unrecognised(text: str) -> None:
    # data/README.md: an interaction no class covers must reach the clinician as an unrecognised line
    assert medications.match_list(text) == [(text, [])]


@pytest.mark.parametrize(
    ("text", "generics", "classes"),
    [
        ("tramadone", {"tramadol", "trazodone"}, {"opioid"}),  # 2 edits from each
        ("lamisal", {"terbinafine", "lamotrigine"}, {"lamotrigine"}),  # Lamisil 1 edit, Lamictal 2
        ("lamictil", {"lamotrigine", "terbinafine"}, {"lamotrigine"}),  # Lamictal 1 edit, Lamisil 2
        ("klonodine", {"clonazepam", "clonidine"}, {"benzodiazepine"}),  # Klonopin and clonidine: 2 edits each
    ],
)
def test_match_lookalike_misspelling_names_both_candidates(text: str, generics: set[str], classes: set[str]) -> None:
    found = only(text)
    assert set(found.generics) == generics
    assert found.classes == classes
    assert found.ambiguous and not found.confident
    assert found.describe().endswith("?") and " or " in found.describe()


def test_match_benadryl_is_ambiguous_by_nature() -> None:
    found = only("Benadryl 25mg at night")
    assert found.generics == ("diphenhydramine", "acrivastine", "cetirizine")
    assert found.classes == {"sedating_antihistamine"}
    assert found.ambiguous and not found.confident
    assert found.describe() == "diphenhydramine (US) or acrivastine or cetirizine (UK)?"


# ---------------------------------------------------------------- describe()


@pytest.mark.parametrize(
    ("text", "wording"),
    [
        ("Klonopin", "clonazepam (benzodiazepine)"),
        ("co-codamol 30/500", "codeine + paracetamol (opioid)"),
        ("Suboxone", "buprenorphine + naloxone (opioid, opioid-use-disorder treatment)"),
        ("zanax", "possibly alprazolam (benzodiazepine)"),
        ("tramadone", "tramadol or trazodone?"),
        ("klonodine", "clonidine or clonazepam?"),
        ("amlodipine", "amlodipine"),
        ("Lamictal", "lamotrigine"),
        ("Spravato", "esketamine"),
        ("Zimovane", "zopiclone (Z-drug sleeping tablet)"),
        ("phenobarbital", "phenobarbital (barbiturate, CYP enzyme inducer)"),
        ("Sominex", "promethazine (UK) or diphenhydramine (US)?"),
    ],
)
def test_describe_wording(text: str, wording: str) -> None:
    assert only(text).describe() == wording


def test_describe_of_a_match_from_elsewhere_falls_back_to_its_generics() -> None:
    made = Match("x", "not|known", ("a", "b"), frozenset(), confident=False, ambiguous=True)
    assert made.describe() == "a or b?"


# ---------------------------------------------------------------- lines and odd input


def test_match_list_keeps_unknown_lines_verbatim_and_skips_blank_ones() -> None:
    text = "  Lyrica 150mg  \n\n   \nwibblezorp 5mg\n\tamlodipine\n"
    result = medications.match_list(text)
    assert [line for line, _ in result] == ["Lyrica 150mg", "wibblezorp 5mg", "amlodipine"]
    assert [len(matches) for _, matches in result] == [1, 0, 1]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "\n\n\r\n",
        "x" * 3000,
        "zanax " * 500,
        "abcdefghij " * 300,
        ",".join(["zzanaxx"] * 500),
        "\n".join(["Lyrica 150mg twice a day", "wibblezorp"] * 150),
        "\n".join("qwertyuiop asdfghjkl" for _ in range(150)),
        "Zopiclóne 7.5mg",
        "ZOPICLONE\u0301",
        "💊 Lyrica 💊",
        "\u202eenolcipoz\u202c",
        "diaze\x00pam",
        "止痛药 Lyrica",
        "ﬁoricet",
        "ｘａｎａｘ",
        "١٢ mg",
        "½ tablet of diazepam",
    ],
)
def test_match_list_handles_odd_and_long_input_quickly(text: str) -> None:
    medications.clear_cache()
    start = time.perf_counter()
    result = medications.match_list(text)
    assert time.perf_counter() - start < 0.5
    assert all(line == line.strip() and line for line, _ in result)


@pytest.mark.parametrize(
    ("text", "generic"),
    [
        ("Zopiclóne", "zopiclone"),
        ("💊 Lyrica 💊", "pregabalin"),
        ("ｘａｎａｘ", "alprazolam"),
        ("止痛药 Lyrica", "pregabalin"),
    ],
)
def test_match_non_ascii_text(text: str, generic: str) -> None:
    assert generic in only(text).generics


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_match_list_never_fails_and_returns_stripped_input_lines(text: str) -> None:
    lines = [line.strip() for line in text.splitlines()]
    for line, matches in medications.match_list(text):
        assert line and line in lines
        assert all(isinstance(m, Match) and m.classes <= CLASSES for m in matches)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(sorted(VOCABULARY.entries)), min_size=1, max_size=4, unique=True))
def test_match_list_finds_every_known_name_joined_by_commas(keys: list[str]) -> None:
    [(_, matches)] = medications.match_list(", ".join(keys))
    medicines: dict[tuple[object, ...], str] = {}  # a medicine named twice is listed once
    for key in keys:
        entry = VOCABULARY.entries[key]
        medicines.setdefault((entry.generics, entry.classes, entry.kind == "ambiguous"), key)
    assert [m.name for m in matches] == list(medicines.values())


def test_match_list_lists_a_medicine_named_twice_once() -> None:
    [(_, matches)] = medications.match_list("pregabalin 75mg (Lyrica), Lyrica")
    assert [m.name for m in matches] == ["pregabalin"]


def test_match_list_of_20_lines_is_fast() -> None:
    text = "\n".join(["Lyrica 150mg twice a day", "zanax 0.5mg prn", "co-codamol 30/500 qds", "wibblezorp"] * 5)
    medications.match_list(text)
    start = time.perf_counter()
    for _ in range(200):
        medications.clear_cache()
        medications.match_list(text)
    assert (time.perf_counter() - start) / 200 < 0.005  # generous: a few tenths of a millisecond on a laptop


def textbook_osa(a: str, b: str) -> int:
    """Optimal string alignment distance, the plain dynamic programme."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[-1][-1]


@settings(max_examples=500, deadline=None)
@given(st.text("abc", max_size=8), st.text("abc", max_size=8), st.integers(0, 3))
def test_fuzzy_distance_agrees_with_the_textbook_definition(a: str, b: str, limit: int) -> None:
    expected, got = textbook_osa(a, b), medications._osa(a, b, limit)
    assert got == expected if expected <= limit else got > limit
