"""The references ``bench_http.py`` measures the app against, served by gunicorn the same way (2 workers) in the same
run: bare Flask, Flask rendering a page's HTML from a plain template, a bare WTForms POST inserting one row into the
same database, and a bare WeasyPrint render of the summary's HTML.

Configured from the environment ``bench_http.py`` sets: ``BENCH_REFERENCE_DIR`` (the captured pages ``*.html`` as
plain Jinja templates, ``summary.html`` and ``summary-*.css`` for the PDF) and ``BENCH_DATABASE_URL`` (where
``bench_http.py`` has made the table ``bench_reference_row``: not each worker, which would race). Serve with
``gunicorn --pythonpath bench 'reference_app:create_app()'``.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, Response, redirect, render_template, request
from sqlalchemy import Column, Date, Integer, MetaData, String, Table, create_engine, insert
from weasyprint import CSS, HTML
from werkzeug.wrappers.response import Response as WerkzeugResponse
from wtforms import DateField, EmailField, Form, StringField, validators

metadata = MetaData()
rows = Table(
    "bench_reference_row",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("full_name", String(200), nullable=False),
    Column("date_of_birth", Date, nullable=False),
    Column("email", String(254), nullable=False),
)


class RowForm(Form):  # type: ignore[misc]
    """Three fields, validated: what the reference POST reads before it inserts."""

    full_name = StringField(validators=[validators.InputRequired(), validators.Length(max=200)])
    date_of_birth = DateField(validators=[validators.InputRequired()])
    email = EmailField(validators=[validators.InputRequired(), validators.Length(max=254)])


def create_app() -> Flask:
    folder = Path(os.environ["BENCH_REFERENCE_DIR"])
    app = Flask(__name__, template_folder=str(folder))
    engine = create_engine(os.environ["BENCH_DATABASE_URL"])  # its table is made before the workers start (``rows``)
    summary_html = (folder / "summary.html").read_text(encoding="utf-8")
    summary_css = [CSS(string=path.read_text(encoding="utf-8")) for path in sorted(folder.glob("summary-*.css"))]

    @app.get("/bare")
    def bare_get() -> str:
        return "Hello"

    @app.post("/bare")
    def bare_post() -> WerkzeugResponse:
        request.form.get("anything")
        return redirect("/bare")

    @app.get("/page/<name>")
    def plain_template(name: str) -> str:
        return render_template(f"{name}.html", csrf_token="reference")  # noqa: S106, S704 (our pages)

    @app.post("/insert")
    def insert_row() -> WerkzeugResponse | tuple[str, int]:
        form = RowForm(request.form)
        if not form.validate():
            return "invalid", 400
        with engine.begin() as connection:
            connection.execute(
                insert(rows).values(
                    full_name=form.full_name.data, date_of_birth=form.date_of_birth.data, email=form.email.data
                )
            )
        return redirect("/bare")

    @app.get("/pdf")
    def bare_pdf() -> Response:
        document = HTML(string=summary_html).write_pdf(stylesheets=summary_css)
        return Response(document, mimetype="application/pdf")

    return app
