"""Tests of ``screening.patient.article``: the bundled article's content and readability, and safe rendering.

The content checks follow DESIGN.md ("The educational article") and clinical-rules.md; the safety checks
treat the Markdown as untrusted, because a clinic may point SCREENING_ARTICLE_PATH at its own file.
"""

from __future__ import annotations

import hashlib
import html
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from screening.patient import article
from screening.patient.article import Article, ArticleError, load, parse

BUNDLED = Path(__file__).resolve().parents[2] / "screening" / "patient" / "content" / "article.md"
FRONT = "---\ntitle: T\nversion: 1\nreview-date: 2026-11-24\nsummary: S.\n---\n"


def plain_text(rendered: str) -> str:
    """Rendered HTML as lowercase text, for looking for facts."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", rendered))).lower()


def section_html(doc: Article, word: str) -> str:
    """The HTML from the ## heading whose text contains ``word`` up to the next ## heading."""
    anchor = next(anchor for anchor, heading in doc.sections if word in heading.lower())
    return doc.html.split(f'id="{anchor}"', 1)[1].split("<h2", 1)[0]


# --- readability ----------------------------------------------------------------------------------------


def readable_prose(source: str) -> str:
    """The body as plain prose: no front matter, headings, Sources list or Markdown syntax.

    A list item without closing punctuation counts as a sentence, as a reader takes it.
    """
    body = source.split("\n---\n", 1)[1]
    body = re.sub(r"^## Sources\b.*?(?=^## |\Z)", "", body, flags=re.M | re.S)
    lines = []
    for line in body.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        item = re.match(r"\s*(?:[-*+]|\d+\.)\s+(.*)", line)
        text = item.group(1) if item else line
        if item and not text.rstrip().endswith((".", "?", "!")):
            text = text.rstrip() + "."
        lines.append(text)
    prose = " ".join(lines)
    prose = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", prose)  # links and images -> their text
    prose = re.sub(r"<https?://[^>]*>", "", prose)  # autolinks
    return re.sub(r"[*_`]", "", prose)


def words(prose: str) -> list[str]:
    return re.findall(r"[A-Za-z]+(?:['\u2019][A-Za-z]+)*", prose)


def syllables(word: str) -> int:
    """Vowel groups, less a silent final e (but not consonant + 'le', as in 'simple'); at least 1."""
    lower = word.lower()
    count = len(re.findall(r"[aeiouy]+", lower))
    if lower.endswith("e") and count > 1 and not re.search(r"[^aeiouy]le$", lower):
        count -= 1
    return max(1, count)


def flesch_kincaid_grade(prose: str) -> float:
    tokens = words(prose)
    sentences = max(1, len(re.findall(r"[.!?]+(?=\s|$)", prose)))
    return 0.39 * len(tokens) / sentences + 11.8 * sum(map(syllables, tokens)) / len(tokens) - 15.59


@pytest.mark.parametrize(
    ("word", "expected"),
    [("pain", 1), ("ketamine", 3), ("simple", 2), ("while", 1), ("the", 1), ("nausea", 2), ("anaesthetic", 4)],
)
def test_syllables_heuristic_counts_common_words(word: str, expected: int) -> None:
    assert syllables(word) == expected


def test_flesch_kincaid_grade_simple_and_hard_text_ordered() -> None:
    easy = "The cat sat on the mat. It was warm. The dog ran."
    hard = "Pharmacological antagonism of glutamatergic neurotransmission attenuates hyperalgesia considerably."
    assert flesch_kincaid_grade(easy) < 2 < 12 < flesch_kincaid_grade(hard)


def test_bundled_article_reading_grade_at_most_8() -> None:
    grade = flesch_kincaid_grade(readable_prose(BUNDLED.read_text(encoding="utf-8")))
    assert grade <= 8.0, f"Flesch-Kincaid grade {grade:.1f}: use shorter sentences and simpler words"


def test_bundled_article_length_about_1200_to_1800_words() -> None:
    count = len(words(readable_prose(BUNDLED.read_text(encoding="utf-8"))))
    assert 1_000 <= count <= 2_000, f"{count} words"


# --- the bundled article --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundled() -> Article:
    return load()


def test_load_bundled_article_has_front_matter(bundled: Article) -> None:
    assert bundled.title == "Ketamine therapy for chronic pain" and bundled.version and bundled.summary
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", bundled.review_date)
    assert bundled.summary.endswith(".") and bundled.summary.count(". ") == 0  # one sentence


def test_load_default_is_cached(bundled: Article) -> None:
    assert load() is bundled
    assert load(None) is bundled


def test_load_bundled_matches_parse_of_the_file(bundled: Article) -> None:
    assert parse(BUNDLED.read_text(encoding="utf-8")) == bundled


@pytest.mark.parametrize(
    "topic",
    [
        ("what is ketamine",),
        ("how does it work",),
        ("evidence",),
        ("side effects", "risks"),
        ("right for me",),
        ("consultation",),
        ("questions",),
        ("sources",),
    ],
)
def test_bundled_article_sections_cover_topic(bundled: Article, topic: tuple[str, ...]) -> None:
    headings = [heading.lower() for _, heading in bundled.sections]
    assert any(word in heading for heading in headings for word in topic), headings


def test_bundled_article_sections_have_unique_prefixed_ids(bundled: Article) -> None:
    anchors = [anchor for anchor, _ in bundled.sections]
    assert len(set(anchors)) == len(anchors)
    for anchor in anchors:
        assert re.fullmatch(r"article-[a-z0-9]+(?:-[a-z0-9]+)*", anchor)
        assert f'<h2 id="{anchor}">' in bundled.html


@pytest.mark.parametrize(
    ("fact", "pattern"),
    [
        ("CRPS", r"complex regional pain syndrome \(crps\)"),
        ("CRPS benefit up to about 12 weeks", r"up to about 12 weeks"),
        ("NMDA", r"\bnmda receptor"),
        ("central sensitisation", r"central sensiti[sz]ation"),
        ("infusion", r"\binfusion\b"),
        ("nasal spray", r"nasal spray"),
        ("esketamine", r"\besketamine\b"),
        ("tablets or lozenges", r"tablets or lozenges"),
        ("dissociation", r"\bdissociation\b"),
        ("nausea", r"\bnausea\b"),
        ("blood pressure", r"blood pressure"),
        ("bladder", r"\bbladder\b"),
        ("liver", r"\bliver\b"),
        ("misuse or dependence", r"misuse|depend"),
        ("Cohen 2018", r"cohen.{0,30}2018"),
        ("driving", r"\bdrive\b|\bdriving\b"),
        ("escort home", r"adult to take you home"),
        ("insurance", r"\binsurance\b"),
        ("long-term", r"long-term"),
        ("opioids", r"\bopioids\b"),
        ("not for everyone", r"does not work for everyone"),
        ("questionnaire does not decide", r"does not decide"),
        ("can stop at any time", r"stop at any time"),
        ("don't stop medicines", r"do not stop"),
        ("scientists still learning", r"still learning"),
    ],
)
def test_bundled_article_mentions_fact(bundled: Article, fact: str, pattern: str) -> None:
    assert re.search(pattern, plain_text(bundled.html)), fact


@pytest.mark.parametrize(
    "question",
    [
        "is it safe",
        "how long does relief last",
        "which kinds of pain",
        "insurance",
        "long-term effects",
        "addicted",
        "other medicines",
    ],
)
def test_bundled_article_faq_has_question(bundled: Article, question: str) -> None:
    faq = section_html(bundled, "questions")
    assert any(question in plain_text(h3) for h3 in re.findall(r"<h3[^>]*>.*?</h3>", faq)), question


def test_bundled_article_sources_list_at_least_4_full_citations(bundled: Article) -> None:
    sources = section_html(bundled, "sources")
    items = [plain_text(item) for item in re.findall(r"<li>(.*?)</li>", sources, flags=re.S)]
    assert len(items) >= 4
    cited = " ".join(items)
    for needle in ("cohen sp", "2018;43(5):521-546", "spravato", "ketalar", "chan eot", "cotter s", "drug saf"):
        assert needle in cited, needle


def test_bundled_article_external_links_are_https_with_rel(bundled: Article) -> None:
    links = re.findall(r"<a [^>]*>", bundled.html)
    assert links
    for link in links:
        assert 'href="https://' in link and 'rel="noopener noreferrer"' in link, link


# --- the corrections of article 2026-12-1 (issue 11, item 11; hazard log H40) -------------------------------------
#: The bundled article's version and the SHA-256 of its text. Changing a word of the article without bumping its
#: version fails here: the version is stored with every submission, so it must name the words the patient read.
PINNED_ARTICLE = ("2026-12-1", "2cab6fe47aa5963386d7fc5fbf4cdc983fab2e89faf79bdb89d5b33ea7e894ed")


def sources_items(doc: Article) -> list[str]:
    """The Sources list, one plain-text item per citation."""
    return [plain_text(item) for item in re.findall(r"<li>(.*?)</li>", section_html(doc, "sources"), flags=re.S)]


def prose_sentences(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"(?<=[.!?])\s+", text) if part.strip()]


def test_bundled_article_text_is_pinned_to_its_version(bundled: Article) -> None:
    digest = hashlib.sha256(BUNDLED.read_bytes()).hexdigest()
    assert (bundled.version, digest) == PINNED_ARTICLE, (
        "the article changed: bump 'version' in its front matter (and 'reviewed'), then update PINNED_ARTICLE"
    )


def test_bundled_article_is_the_corrected_version(bundled: Article) -> None:
    assert bundled.version != "2026-11-1"  # the version before the corrections of the clinical review
    assert bundled.review_date >= "2026-12-01"


def test_bundled_article_aneurysm_anywhere_in_the_body_not_only_the_brain(bundled: Article) -> None:
    """SPRAVATO label: aneurysmal vascular disease (thoracic and abdominal aorta, intracranial and peripheral
    arterial vessels) or arteriovenous malformation, and intracerebral haemorrhage, are contraindications."""
    suited = plain_text(section_html(bundled, "right for me"))
    item = next(
        (
            line
            for line in re.findall(r"<li>(.*?)</li>", section_html(bundled, "right for me"), flags=re.S)
            if "aneurysm" in line.lower()
        ),
        "",
    )
    assert item, "the 'Is it right for me?' list names no aneurysm"
    item = plain_text(item)
    assert "anywhere in the body" in item
    assert sum(place in item for place in ("brain", "chest", "tummy", "arms", "legs")) >= 4, item
    assert "tangle of blood vessels" in item  # arteriovenous malformation, in plain words
    assert re.search(r"\bstroke\b", suited) and "bleed in the brain" in suited
    assert "blood vessel in the brain" not in plain_text(bundled.html)  # the old, brain-only wording


@pytest.mark.parametrize(
    ("effect", "pattern"),
    [
        ("anxiety", r"\banxious\b|\banxiety\b"),
        ("panic", r"\bpanic\b"),
        ("blurred vision", r"\bblurred\b.{0,20}\bvision\b"),
        ("double vision", r"\bdouble vision\b"),
    ],
)
def test_bundled_article_side_effects_list_has(bundled: Article, effect: str, pattern: str) -> None:
    items = [
        plain_text(item) for item in re.findall(r"<li>(.*?)</li>", section_html(bundled, "side effects"), flags=re.S)
    ]
    assert any(re.search(pattern, item) for item in items), effect


def test_bundled_article_never_claims_fewer_opioids(bundled: Article) -> None:
    """No cited source shows that ketamine for chronic pain lets people take fewer opioids: any sentence about taking
    fewer or less of them must say that it is not known (or tell the reader not to cut down on their own)."""
    about = [
        sentence
        for sentence in prose_sentences(plain_text(bundled.html))
        if "opioid" in sentence and re.search(r"\b(fewer|less|lower|reduc\w*|cut\w*|wean\w*)\b", sentence)
    ]
    assert about, "the article should say what is known about opioids"
    for sentence in about:
        assert re.search(r"\b(not|unless|no)\b", sentence), sentence
    benefits = section_html(bundled, "evidence").split("What people may notice", 1)[1].split("</ul>", 1)[0]
    assert "opioid" not in benefits.lower()  # not among the things people may notice
    assert re.search(r"do not know.{0,80}fewer opioids", plain_text(bundled.html))


def test_bundled_article_crps_evidence_is_from_multi_day_infusion_courses(bundled: Article) -> None:
    """ASRA 2018: moderate evidence for CRPS from infusions of 22 mg/h for 4 days (Sigtermans 2009) or
    0.35 mg/kg/h over 4 hours daily for 10 days (Schwartzman 2009), with benefit up to 12 weeks."""
    crps = next(
        (
            plain_text(item)
            for item in re.findall(r"<li>(.*?)</li>", section_html(bundled, "evidence"), flags=re.S)
            if "crps" in item.lower()
        ),
        "",
    )
    assert "several days" in crps and "4 hours a day for 10 days" in crps and "about 4 days" in crps, crps
    assert "schwartzman and others, 2009" in crps and "sigtermans and others, 2009" in crps
    assert "one short drip" in crps  # and says that a single short drip is not what was studied
    faq = plain_text(section_html(bundled, "questions"))
    assert re.search(r"12 weeks after a course of drips over several days", faq)
    cited = " ".join(sources_items(bundled))
    for needle in (
        "schwartzman rj",
        "pain. 2009;147(1-3):107-115",
        "10.1016/j.pain.2009.08.015",
        "sigtermans mj",
        "pain. 2009;145(3):304-311",
        "10.1016/j.pain.2009.06.023",
    ):
        assert needle in cited, needle


def test_bundled_article_mental_health_crisis_nhs_111_option_2_in_england(bundled: Article) -> None:
    """NHS England: in a mental health crisis, call 111 and select the mental health option (option 2); 999 or A&E
    when life is at risk."""
    faq = section_html(bundled, "questions")
    answer = next((plain_text(part) for part in faq.split("<h3")[1:] if "unsafe" in part.split("</h3>")[0].lower()), "")
    assert answer, "no question 'What if I feel very low or unsafe?'"
    assert re.search(r"in england.{0,40}nhs 111.{0,40}mental health option.{0,20}option 2", answer), answer
    assert "999" in answer and "a&e" in answer
    assert "day and night" in answer  # 24/7
    assert "somewhere else" in answer  # and what to do outside England
    assert any("nhs 111" in item and "mental health option" in item for item in sources_items(bundled))


def test_bundled_article_every_citation_in_the_text_is_in_the_sources_list(bundled: Article) -> None:
    cited = re.findall(r"\(([a-z]+) and others, (\d{4})\)", plain_text(bundled.html))
    assert {name for name, _year in cited} >= {"cohen", "schwartzman", "sigtermans"}
    items = sources_items(bundled)
    for name, year in cited:
        assert any(item.startswith(name) and year in item for item in items), (name, year)


# --- parse: front matter (optional) and title ------------------------------------------------------------


def test_parse_front_matter_values_and_quotes() -> None:
    doc = parse(
        '---\ntitle: "Ketamine: a guide"\nversion: 2026-11-1\n# a note\n\nreview-date: 2026-11-24\n'
        "reviewed-by: Dr A. Jones\nsummary: 'One line.'\n---\nBody.\n"
    )
    assert (doc.title, doc.version, doc.review_date, doc.reviewed_by, doc.summary) == (
        "Ketamine: a guide",
        "2026-11-1",
        "2026-11-24",
        "Dr A. Jones",
        "One line.",
    )
    assert doc.html == "<p>Body.</p>"
    assert doc.sections == ()


def test_parse_reviewed_is_the_older_name_of_review_date() -> None:
    assert parse(FRONT.replace("review-date:", "reviewed:") + "Body.\n").review_date == "2026-11-24"


def test_parse_plain_markdown_takes_the_title_from_the_first_heading_and_hashes_the_version() -> None:
    text = "# Our clinic's guide\n\nSome words.\n\n## First part\n\nMore.\n"
    doc = parse(text)
    assert doc.title == "Our clinic's guide"
    assert "guide" not in doc.html  # the title is not repeated in the body
    assert doc.html.startswith("<p>Some words.</p>")
    assert doc.sections == (("article-first-part", "First part"),)
    assert (doc.summary, doc.reviewed_by, doc.review_date) == ("", "", "")
    assert re.fullmatch(r"[0-9a-f]{12}", doc.version)
    assert doc.version == parse(text).version != parse(text.replace("More.", "More!")).version


def test_parse_title_is_the_first_level_1_heading_outside_code_blocks() -> None:
    doc = parse("Intro.\n\n```\n# not a heading\n```\n\n# The title #\n\nEnd.\n")
    assert doc.title == "The title"
    assert "# not a heading" in doc.html and "The title" not in doc.html


def test_parse_front_matter_without_title_uses_the_heading() -> None:
    doc = parse("---\nversion: v2\n---\n# From the heading\n\nText.\n")
    assert (doc.title, doc.version) == ("From the heading", "v2")


def test_parse_front_matter_title_keeps_a_body_heading_as_a_section() -> None:
    doc = parse(FRONT + "# Top level\n\nText.\n")
    assert doc.title == "T" and doc.sections == (("article-top-level", "Top level"),)


def test_parse_accepts_bom_and_crlf() -> None:
    assert parse("\ufeff" + (FRONT + "Body.\n").replace("\n", "\r\n")).html == "<p>Body.</p>"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("  \n\n", "the file is empty"),
        ("No heading at all.\n", "no title: start it with a '# Title' line"),
        ("## Only a second-level heading\n", "no title"),
        ("---\ntitle: T\n\nBody.\n", "line 1: the front matter block opened here has no closing '---' line"),
        (FRONT.replace("title: T", "title T"), "line 2: write front matter lines as 'key: value'"),
        (FRONT.replace("summary: S.", "author: The clinic"), "line 5: unknown field 'author'"),
        (FRONT.replace("summary: S.", "summary:"), "line 5: the field 'summary' is empty"),
        (FRONT.replace("summary: S.", 'summary: ""'), "line 5: the field 'summary' is empty"),
        (FRONT.replace("summary: S.", "summary: S.\ntitle: Again"), "line 6: the field 'title' is given twice"),
        (FRONT.replace("version: 1", "version: 1 2"), "line 3: 'version' must be"),
        (FRONT.replace("version: 1", "version: <b>1</b>"), "line 3: 'version' must be"),
        (FRONT.replace("2026-11-24", "24/11/2026"), "line 4: 'review-date' must be a date"),
        (FRONT.replace("2026-11-24", "20261124"), "line 4: 'review-date' must be a date"),
        (FRONT.replace("2026-11-24", "2026-02-30"), "line 4: 'review-date' must be a date"),
        (FRONT.replace("title: T", "title: " + "x" * 301), "line 2: the field 'title' is too long"),
        (FRONT + "\n  \n", "line 7: the article has no text after its title and front matter"),
        ("# Only a title\n", "line 1: the article has no text"),
    ],
)
def test_parse_invalid_article_raises_article_error_with_the_line(text: str, message: str) -> None:
    with pytest.raises(ArticleError, match=re.escape(message)):
        parse(text + "Body.\n" if text.endswith("---\n") else text)


def test_article_error_is_a_value_error_and_keeps_the_line() -> None:
    assert issubclass(ArticleError, ValueError)
    with pytest.raises(ArticleError) as caught:
        parse(FRONT.replace("version: 1", "version: ?"))
    assert caught.value.line == 3


def test_parse_too_long_raises_article_error() -> None:
    with pytest.raises(ArticleError, match="too long"):
        parse(FRONT + "x" * article.MAX_CHARS)


# --- parse: rendering and safety ------------------------------------------------------------------------

HOSTILE = (
    FRONT
    + """\
Hello <script>alert(1)</script> there.

<script>alert(1)</script>

<style>body { display: none }</style>

<img src=x onerror=alert(1)>

Text <img src=x onerror=alert(1)> inline.

[x](javascript:alert(1)) [y](JaVaScRiPt&#58;alert(1)) [z](&amp;#106;avascript:alert(1)) [v](vbscript:msgbox(1))
[d](data:text/html;base64,PHNjcmlwdD4=) [t]( java\tscript:alert(1))

[ref][bad]

[bad]: javascript:alert(2)

<iframe src="https://evil.example"></iframe>

<div onclick="alert(1)" style="position:fixed">block</div>

<h2 id="main-content">clobber</h2>

<a href="https://evil.example" target="_blank" rel="opener">raw link</a>

<form action="https://evil.example"><input name="q"></form>

<!-- an editor's note -->

![pic](javascript:alert(3)) [![inner](https://evil.example/i.png)](javascript:alert(4))
"""
)


@pytest.fixture(scope="module")
def hostile() -> Article:
    return parse(HOSTILE)


@pytest.mark.parametrize(
    "forbidden",
    [
        "<script",
        "onerror=",
        "javascript:",
        "<iframe",
        "onclick",
        "vbscript:",
        "data:",
        "<img",
        "<div",
        "<style",
        "display: none",
        "style=",
        'id="main-content"',
        "target=",
        'rel="opener"',
        "<form",
        "<input",
    ],
)
def test_parse_hostile_markdown_renders_no_active_content(hostile: Article, forbidden: str) -> None:
    assert forbidden not in hostile.html.lower()


def test_parse_hostile_markdown_keeps_link_text_and_drops_comments(hostile: Article) -> None:
    text = plain_text(hostile.html)
    assert "hello" in text and "there." in text and "inline." in text and "block" in text and "clobber" in text
    assert re.search(r"\bx\b.*\by\b.*\bz\b.*\bv\b", text) and "ref" in text and "pic" in text and "inner" in text
    assert "editor" not in text and "alert" not in text
    assert '<a href="https://evil.example" rel="noopener noreferrer">raw link</a>' in hostile.html


def test_parse_hostile_markdown_leaves_no_link_a_browser_would_run(hostile: Article) -> None:
    """A browser decodes an attribute's character references once, drops tabs and newlines, then reads the scheme:
    what is left is https or a harmless relative address (such as ``&#106;avascript:...`` taken literally)."""
    links = re.findall(r'<a href="([^"]*)" rel="noopener noreferrer">', hostile.html)
    assert len(links) == len(re.findall(r"<a ", hostile.html)) >= 2
    for href in links:
        address = re.sub(r"[\t\n\r]", "", html.unescape(href)).strip()
        assert urlsplit(address).scheme in ("https", ""), href


@pytest.mark.parametrize(
    ("markdown_link", "expected"),
    [
        (
            "[a](https://example.org/x?a=1&b=2)",
            '<a href="https://example.org/x?a=1&amp;b=2" rel="noopener noreferrer">a</a>',
        ),
        ("[a](http://example.org)", '<a href="http://example.org" rel="noopener noreferrer">a</a>'),
        ("[a](HTTPS://example.org)", '<a href="HTTPS://example.org" rel="noopener noreferrer">a</a>'),
        ("<https://example.org>", '<a href="https://example.org" rel="noopener noreferrer">https://example.org</a>'),
        ("[a](/help)", '<a href="/help" rel="noopener noreferrer">a</a>'),
        ("[a](#article-sources)", '<a href="#article-sources" rel="noopener noreferrer">a</a>'),
        ("[a](mailto:clinic@example.org)", '<a href="mailto:clinic@example.org" rel="noopener noreferrer">a</a>'),
        ("[a](tel:+441234567890)", '<a href="tel:+441234567890" rel="noopener noreferrer">a</a>'),
        ("[a](ftp://example.org)", "<p>a</p>"),
        ("[a](file:///etc/passwd)", "<p>a</p>"),
        ("[**b** c *d*](javascript:alert(1)) e", "<p><strong>b</strong> c <em>d</em> e</p>"),
    ],
)
def test_parse_links_allow_only_http_mail_phone_and_relative(markdown_link: str, expected: str) -> None:
    rendered = parse(FRONT + markdown_link + "\n").html
    assert expected in rendered, rendered


def test_parse_table_renders_with_govuk_classes_and_column_headers() -> None:
    rendered = parse(FRONT + "| Dose | How often |\n|------|----------:|\n| Low | Weekly |\n| *High* | Never |\n").html
    assert rendered.count('<table class="govuk-table">') == 1
    assert '<thead class="govuk-table__head">' in rendered and '<tbody class="govuk-table__body">' in rendered
    assert rendered.count('<th scope="col" class="govuk-table__header">') == 2
    assert '<td class="govuk-table__cell"><em>High</em></td>' in rendered
    assert rendered.count('<tr class="govuk-table__row">') == 3
    assert "style=" not in rendered  # column alignment would need an inline style, which the CSP refuses


def test_parse_raw_table_keeps_only_allowed_attributes() -> None:
    rendered = parse(
        FRONT + '<table class="x" onclick="y"><tr><th scope="row" colspan="2">A</th>'
        '<td colspan="999" headers="h">B</td></tr></table>\n'
    ).html
    assert '<table class="govuk-table">' in rendered
    assert 'scope="row"' in rendered and 'colspan="2"' in rendered
    assert "999" not in rendered and "headers=" not in rendered and "onclick" not in rendered


def test_parse_hash_heading_demoted_to_h2_and_counts_as_section() -> None:
    doc = parse(FRONT + "# Top level\n\nText.\n\n## Next one\n\n### Detail\n\n#### Small\n")
    assert "<h1" not in doc.html
    assert '<h2 id="article-top-level">Top level</h2>' in doc.html
    assert '<h3 id="article-detail">Detail</h3>' in doc.html
    assert "<h4>Small</h4>" in doc.html  # ids only on h2 and h3
    assert doc.sections == (("article-top-level", "Top level"), ("article-next-one", "Next one"))


def test_parse_setext_heading_also_demoted() -> None:
    assert '<h2 id="article-big">Big</h2>' in parse(FRONT + "Big\n===\n").html


def test_parse_sections_text_is_plain_and_ids_unique() -> None:
    doc = parse(FRONT + "## Pain & *mood* <b>x</b>\n\n## Pain & mood\n\n## Café ☕\n\n## !!!\n")
    assert doc.sections == (
        ("article-pain-mood-x", "Pain & mood x"),
        ("article-pain-mood", "Pain & mood"),
        ("article-cafe", "Café ☕"),
        ("article-section", "!!!"),
    )
    assert len(set(re.findall(r'id="([^"]+)"', doc.html))) == 4


def test_slugify_is_stable() -> None:
    assert article.slugify("What is ketamine therapy?") == "article-what-is-ketamine-therapy"
    assert article.slugify("Side effects and risks") == "article-side-effects-and-risks"


def test_parse_sane_lists_keep_ordered_and_bulleted_lists_apart() -> None:
    rendered = parse(FRONT + "1. one\n2. two\n\n- a\n- b\n").html
    assert "<ol>" in rendered and "<ul>" in rendered


def test_parse_keeps_quotes_code_and_rules() -> None:
    rendered = parse(FRONT + "> quoted\n\n`code`\n\n---\n\n    block\n").html
    assert "<blockquote>" in rendered and "<code>code</code>" in rendered and "<hr>" in rendered
    assert "<pre><code>block" in rendered


# --- load -----------------------------------------------------------------------------------------------


def test_load_clinic_file_by_path_and_str_is_cached(tmp_path: Path) -> None:
    path = tmp_path / "clinic.md"
    path.write_text(FRONT.replace("version: 1", "version: clinic-7") + "## Ours\n\nText.\n", encoding="utf-8")
    doc = load(path)
    assert doc.version == "clinic-7" and doc.sections == (("article-ours", "Ours"),)
    assert load(str(path)) is doc


def test_load_missing_file_raises_article_error(tmp_path: Path) -> None:
    with pytest.raises(ArticleError, match="cannot read"):
        load(tmp_path / "missing.md")


def test_load_invalid_file_names_the_path_and_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.md"
    path.write_text("---\ntitle: T\ncolour: red\n---\nText.\n", encoding="utf-8")
    with pytest.raises(ArticleError, match=re.escape(f"{path}: line 3: unknown field 'colour'")) as caught:
        load(path)
    assert caught.value.line == 3


def test_load_non_utf8_file_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.md"
    path.write_bytes("# Title\n\nCaf\xe9\n".encode("latin-1"))
    with pytest.raises(ArticleError, match=re.escape(f"{path}: line 3: the file is not UTF-8 text")):
        load(path)


def test_load_huge_file_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    path = tmp_path / "huge.md"
    path.write_bytes(b"# Title\n\n" + "\u00e9".encode() * (article.MAX_CHARS * 2 + 1))
    with pytest.raises(ArticleError, match=re.escape(f"{path}: the file is too long")):
        load(path)
