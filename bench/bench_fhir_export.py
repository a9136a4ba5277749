"""Benchmark of the bulk FHIR export (issue 16 part 3, issue 17): seeds ``count`` submissions (``screening.bulk_seed``:
realistic answers and flags) into a temporary SQLite database, then runs the real command
``flask --app screening export-fhir`` over all of them in a child process, and prints its time (wall and CPU), the
size of each file (MB) and the child's peak RSS; then the same command over an empty period, for the process's
baseline. Not a test: it asserts nothing.

Run with ``.venv/bin/python bench/bench_fhir_export.py [count]`` (default 10000). On PostgreSQL when
``BENCH_DATABASE_URL`` is set (that database is emptied).
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text

from screening import bulk_seed, create_app
from screening.extensions import db

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = {
    "SECRET_KEY": "bench-secret-key-bench-secret-key",
    "CLINIC_PHONE": "01632 960 000",
    "CLINIC_EMAIL": "clinic@example.org",
}


def seed(url: str, count: int) -> float:
    """Empty schema at ``url``, then ``count`` submissions; the seconds the seeding took."""
    app = create_app({"DATABASE_URL": url, "RATELIMIT_ENABLED": False, **SETTINGS})
    with app.app_context():
        if url.startswith("postgresql"):
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        db.create_all()
        start = time.perf_counter()
        bulk_seed.seed_submissions(count)
        took = time.perf_counter() - start
        db.engine.dispose()
    return took


#: Runs ``flask`` and, at exit, writes the process's own peak resident memory (``VmHWM``: ``ru_maxrss`` would count
#: the parent's memory at the fork) to stderr.
CHILD = """
import atexit, re, sys
def peak():
    status = open("/proc/self/status", encoding="ascii").read()
    print("VmHWM_kB", re.search(r"VmHWM:\\s+(\\d+)", status).group(1), file=sys.stderr)
atexit.register(peak)
from flask.cli import main
sys.argv[0] = "flask"
main()
"""


def run_export(url: str, out: Path, since: str, until: str) -> tuple[float, float, float, str]:
    """Run ``flask export-fhir`` in a child process: wall seconds, CPU seconds, peak RSS (MB), its output."""
    environ = {**os.environ, "SCREENING_DATABASE_URL": url, **{f"SCREENING_{k}": v for k, v in SETTINGS.items()}}
    command = [sys.executable, "-c", CHILD, "--app", "screening", "export-fhir", "--since", since, "--until", until]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([*command, str(out)], cwd=ROOT, env=environ, capture_output=True, text=True, check=True)  # noqa: S603
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    peak = int(done.stderr.rsplit("VmHWM_kB", 1)[1].split()[0]) / 1024
    return wall, cpu, peak, done.stdout


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    work = Path(tempfile.mkdtemp(prefix="bench-fhir-export-"))
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{work}/bench.sqlite3"
    print(f"Seeding {count:,} submissions ({url.split(':', 1)[0]}) ...")
    print(f"  seeded in {seed(url, count):.1f} s")

    empty_wall, _cpu, empty_rss, _output = run_export(url, work / "empty", "2000-01-01", "2000-01-02")
    wall, cpu, rss, output = run_export(url, work / "out", "2000-01-01", "2100-01-01")
    print(output.rstrip())
    files = sorted((work / "out").iterdir())
    total = sum(path.stat().st_size for path in files)
    print(f"\nexport-fhir over {count:,} submissions: {wall:.1f} s wall, {cpu:.1f} s CPU")
    print(f"  {count / cpu:,.0f} submissions per CPU second; {cpu / count * 1000:.2f} ms CPU each")
    for path in files:
        print(f"  {path.name:30} {path.stat().st_size / 1e6:9.2f} MB")
    print(f"  {'total':30} {total / 1e6:9.2f} MB ({total / count / 1000:.1f} kB per submission)")
    print(f"  peak RSS {rss:.0f} MB (the same command over an empty period: {empty_rss:.0f} MB, {empty_wall:.1f} s)")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
