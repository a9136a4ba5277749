"""Render the typical summary (tests/summary_cases.TYPICAL, with a note and an acknowledgement) to PDF through
the real app and save page 1 as docs/screenshots/summary-page-1.png (Debian's pdftoppm, 100 dpi), the picture the
README shows. Run: .venv/bin/python scripts/summary_sample.py [output.pdf] [a4|letter] [typical|forty]

``forty`` renders the forty-medicine case of issue 14 (tests/summary_cases.FORTY) instead, for review: its pages
are saved as PNGs beside the PDF, and the README's picture is left alone."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pyotp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from screening import create_app  # noqa: E402
from screening.extensions import db  # noqa: E402
from screening.models import Acknowledgement, Role  # noqa: E402
from screening.staff import accounts, auth, review  # noqa: E402
from tests.summary_cases import FORTY, TYPICAL, submit  # noqa: E402

PASSWORD = "a long sample password 2026"


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="summary-sample-"))
    app = create_app(
        {"DATABASE_URL": f"sqlite:///{folder / 'sample.sqlite3'}", "SECRET_KEY": "sample", "WTF_CSRF_ENABLED": False}
    )
    with app.app_context():
        db.create_all()
        case = sys.argv[3] if len(sys.argv) > 3 else "typical"
        submission = submit(FORTY if case == "forty" else TYPICAL)
        user, _ = accounts.create_staff(email="cleo@example.org", name="Dr Cleo Clinician", role=Role.CLINICIAN)
        user.password_hash, user.must_change_password = auth.hash_password(PASSWORD), False
        user.mfa_secret = secret = pyotp.random_base32()
        db.session.commit()
        review.add_note(
            submission,
            "Phoned: partner can collect after the infusion; will confirm by Friday.",
            actor=user,
            expected_version=submission.version_id,
        )
        review.acknowledge_flag(
            submission.flags[0],
            Acknowledgement.NEEDS_FOLLOW_UP,
            actor=user,
            expected_version=submission.version_id,
            note="Confirm escort before booking",
        )
        reference = submission.reference
    client = app.test_client()
    client.post("/staff/login", data={"email": "cleo@example.org", "password": PASSWORD})
    client.post("/staff/mfa", data={"code": pyotp.TOTP(secret).now()})
    paper = sys.argv[2] if len(sys.argv) > 2 else "a4"
    response = client.get(f"/staff/submissions/{reference}/summary.pdf?paper={paper}")
    assert response.status_code == 200, response.status
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else folder / "summary.pdf"
    target.write_bytes(response.data)
    if case == "forty":
        subprocess.run(["pdftoppm", "-png", "-r", "100", str(target), str(target.with_suffix(""))], check=True)
        print(f"{target} -> {target.with_suffix('')}-*.png")
        return
    png = ROOT / "docs" / "screenshots" / "summary-page-1"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "100", "-f", "1", "-l", "1", "-singlefile", str(target), str(png)], check=True
    )
    print(f"{target} -> {png}.png")


if __name__ == "__main__":
    main()
