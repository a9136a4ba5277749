"""Benchmark of the clinical core: prints mean and p95 of ``evaluate + score_all + match_list``.

Run with ``make bench``. Two answer sets: a full, realistic one (6 medicine lines) and the worst case
(20 medicine lines, several misspelt). Each is timed "warm" (the medicine matcher's per-line cache
filled, as in a running server) and "cold" (the cache cleared before every run, so every line is
normalised and matched from scratch). Not a test: it prints numbers, it asserts nothing.
"""

from __future__ import annotations

import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from screening import rules
from screening.clinical import medications, scoring
from tests.answer_sets import answers, auditc, born, gad7, phq9

RUNS = 10_000
TODAY = date(2026, 11, 24)

REALISTIC = answers(
    date_of_birth=born(58),
    sex_at_birth="male",
    pain_conditions=["back_neck", "neuropathic"],
    pain_duration="gt_5y",
    heart_conditions=["high_blood_pressure"],
    bp_controlled="yes",
    bp_crisis_recent="no",
    bp_systolic=142,
    bp_diastolic=88,
    other_conditions=["sleep_apnoea"],
    uses_cpap="yes",
    height_cm=178,
    weight_kg=96,
    snoring_loud="yes",
    daytime_tiredness="yes",
    neck_large="yes",
    **phq9(1, 2, 2, 2, 1, 1, 1, 0, 0),
    **gad7(1, 1, 1, 1, 0, 1, 0),
    **auditc(2, 1, 0),
    medication_checklist=["opioid", "gabapentinoid"],
    opioid_daily="yes",
    medicines=[
        "Pregabalin 150mg twice a day",
        "co-codamol 30/500 two tablets qds",
        "amlodipine 5mg",
        "Atorvastatin 20 mg at night",
        "omeprazole 20mg od",
        "Sertraline 50mg mane",
    ],
)
WORST = dict(
    REALISTIC,
    current_medications="\n".join(
        [
            "Lyrica 150mg twice a day",
            "zanax 0.5mg prn",
            "Klonopin 0.5 at night",
            "co-codamol 30/500 qds",
            "OxyContin 10mg MR bd",
            "Uniphyllin Continus 400",
            "Klaricid 500 bd",
            "levothyroxine 50mcg",
            "St John's wort",
            "Zimovane 7.5 at night",
            "Lamictal 200",
            "tramadole 50mg",
            "sertraline, amitriptyline",
            "Seroquel XL 300mg nocte",
            "paracetamol 1g qds",
            "ibuprofen 400mg tds",
            "Elvanse 30mg mane",
            "naltrexone 50mg",
            "wibblezorp 5mg",
            "diazepam 5 mg two tablets at night",
        ]
    ),
)


def core(raw: dict[str, Any]) -> None:
    """What the issue measures: the three public calls, each on the raw answers."""
    rules.evaluate(raw, today=TODAY)
    scoring.score_all(raw, today=TODAY)
    medications.match_list(raw.get("current_medications", ""))


def assess(raw: dict[str, Any]) -> None:
    """What the submit service calls: everything computed once from one cleaning."""
    rules.assess(raw, today=TODAY)


def timed(work: Callable[[dict[str, Any]], None], raw: dict[str, Any], *, cold: bool) -> list[float]:
    work(raw)  # warm the imports and, for "warm", the matcher's cache
    samples = []
    for _ in range(RUNS):
        if cold:
            medications.clear_cache()
        start = time.perf_counter_ns()
        work(raw)
        samples.append((time.perf_counter_ns() - start) / 1e6)
    return samples


def main() -> None:
    lines = {"realistic (6 medicine lines)": REALISTIC, "worst case (20 medicine lines)": WORST}
    print(
        f"Screening core benchmark: {RUNS:,} runs each, Python {platform.python_version()}, "
        f"rule set {rules.RULESET_VERSION}, {medications.vocabulary_size()} medicine names"
    )
    print(f"{'answer set':32} {'what':38} {'cache':5} {'mean ms':>8} {'p95 ms':>8}")
    for label, raw in lines.items():
        for what, work in (("evaluate + score_all + match_list", core), ("assess (each part once)", assess)):
            for cold in (False, True):
                samples = timed(work, raw, cold=cold)
                p95 = statistics.quantiles(samples, n=20)[-1]
                print(
                    f"{label:32} {what:38} {'cold' if cold else 'warm':5} {statistics.fmean(samples):8.3f} {p95:8.3f}"
                )


if __name__ == "__main__":
    main()
