"""Real documents in (issue #12): PDF, HTML, DOCX and URLs, through the CLI
and the Python API, with real files written by reportlab and python-docx and
a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import http.server
import io
import json
import random
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "benchmarks") not in sys.path:
    sys.path.insert(0, str(ROOT / "benchmarks"))

import renditions  # noqa: E402

from provenance.diff import compare  # noqa: E402
from provenance.errors import ProvenanceError  # noqa: E402
from provenance.extract import extract, sniff  # noqa: E402
from provenance.store import Store  # noqa: E402

USER = "Test Archivist <archivist@example.org>"

# A real article (the shipped sample's web capture, its stray first line
# left out): varied sentences, curly quotes, dashes, capitals, numbers.
ARTICLE = [p.split() for p in (ROOT / "docs" / "samples" / "article-web-capture.txt").read_text(
    encoding="utf-8").split("\n\n")[1:] if p.strip()]
TITLE = "Tehran and Moscow differ on Syria"


def words(text: str) -> list[str]:
    return text.split()


def make_pdf(paragraphs=ARTICLE, seed=1, **options) -> bytes:
    return renditions.to_pdf(paragraphs, random.Random(seed), TITLE, **options)


@pytest.fixture
def run(monkeypatch):
    """run(*args): the CLI through CliRunner as USER; the result, whatever its exit status."""
    from click.testing import CliRunner

    from provenance.cli import cli

    monkeypatch.setenv("PROVENANCE_USER", USER)
    monkeypatch.delenv("PROVENANCE_STORE", raising=False)
    return lambda *args: CliRunner().invoke(cli, list(args), catch_exceptions=False)


def store_tip(store_dir: Path) -> str | None:
    out = subprocess.run(["git", "-C", str(store_dir), "rev-parse", "-q", "--verify", "refs/heads/main"],
                         capture_output=True, text=True)
    return out.stdout.strip() or None


# --- recognising formats ------------------------------------------------------

def test_formats_are_recognised_by_content_not_by_name(tmp_path):
    pdf, page, docx = make_pdf(), renditions.to_html(ARTICLE, random.Random(1), TITLE), renditions.to_docx(ARTICLE, TITLE)
    assert sniff(pdf, "report.txt") == "pdf"
    assert sniff(page, "capture") == "html"
    assert sniff(b"\xef\xbb\xbf<!-- saved -->\n<html><body>x</body></html>", "x") == "html"
    assert sniff(docx, "contract.pdf") == "docx"
    assert sniff(b"Plain words, <b>not</b> a page.", "notes.txt") == "text"
    with pytest.raises(ProvenanceError, match="not a DOCX"):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("readme.txt", "hello")
        sniff(buf.getvalue(), "fake.docx")


# --- PDF ----------------------------------------------------------------------

def test_pdf_text_is_read_page_by_page_with_its_furniture_kept():
    ex = extract(make_pdf(), "a.pdf")
    assert ex.extractor == "pypdfium2" and ex.media_type == "application/pdf"
    assert ex.pages == ex.text.count("\f") >= 3 and ex.text.endswith("\f")  # every page ends with one
    pages = ex.text.split("\f")[:-1]
    assert pages[1].startswith(TITLE)  # the running head is kept in the stored text
    assert pages[-1].rstrip().endswith(f"Page {ex.pages} of {ex.pages}")
    assert ex.properties["title"] == TITLE


def test_a_pdf_and_a_web_page_of_one_text_differ_by_no_content():
    rng = random.Random(7)
    pdf = extract(make_pdf(ligatures=True, footer="number"), "a.pdf")
    page = extract(renditions.to_html(ARTICLE, rng, TITLE), "a.html")
    cmp = compare(pdf.text, page.text)
    assert cmp.stats["content_changes"] == 0, [c.to_dict() for c in cmp.changes if c.cls == "content"]
    assert cmp.stats["formatting_changes"] > 0  # the hyphenation, ligatures and page furniture


def test_known_edits_between_a_pdf_and_a_web_page_are_exactly_what_is_reported():
    edited = [list(p) for p in ARTICLE]
    edited[5][3] = "Monday"  # replace
    del edited[9][7]  # delete
    edited[13].insert(4, "reportedly")  # insert
    pdf = extract(make_pdf(ARTICLE, seed=3), "a.pdf")
    page = extract(renditions.to_html(edited, random.Random(3), TITLE), "b.html")
    cmp = compare(pdf.text, page.text)
    content = [c for c in cmp.changes if c.cls == "content"]
    assert len(content) == 3, [c.to_dict() for c in content]
    assert sorted(words(c.old_text + " " + c.new_text)[0] if c.old_text or c.new_text else "" for c in content)
    assert {w for c in content for w in words(c.new_text)} == {"Monday", "reportedly"}
    assert [w for c in content for w in words(c.old_text)] in (
        [ARTICLE[5][3], ARTICLE[9][7]], [ARTICLE[5][3].rstrip(".,"), ARTICLE[9][7]])
    # each change knows its page in the PDF
    data = cmp.to_dict()
    assert all("old_page" in c and "new_page" not in c for c in data["changes"])
    assert [c["old_page"] for c in data["changes"] if c["class"] == "content"] == sorted(
        c["old_page"] for c in data["changes"] if c["class"] == "content")


def test_a_scan_an_encrypted_pdf_and_a_truncated_one_get_clear_errors(tmp_path):
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.rect(50, 50, 400, 600, fill=1)  # an image-only page: no text layer
    c.showPage()
    c.save()
    with pytest.raises(ProvenanceError, match="OCR"):
        extract(buf.getvalue(), "scan.pdf")

    from reportlab.lib import pdfencrypt

    locked = io.BytesIO()
    c = canvas.Canvas(locked, encrypt=pdfencrypt.StandardEncryption("secret", ownerPassword="owner"))
    c.drawString(72, 700, "Confidential words")
    c.showPage()
    c.save()
    with pytest.raises(ProvenanceError, match="encrypted PDF that needs a password"):
        extract(locked.getvalue(), "locked.pdf")

    open_ = io.BytesIO()  # owner password only: readable with the empty user password
    c = canvas.Canvas(open_, encrypt=pdfencrypt.StandardEncryption("", ownerPassword="owner", canPrint=0))
    c.drawString(72, 700, "Readable words")
    c.showPage()
    c.save()
    assert "Readable words" in extract(open_.getvalue(), "restricted.pdf").text

    data = make_pdf()
    with pytest.raises(ProvenanceError, match="truncated"):
        extract(data[: len(data) // 2], "cut.pdf")


# --- HTML ---------------------------------------------------------------------

PAGE = """<!doctype html><html lang="fr"><head><meta charset="windows-1252">
<title>Le titre</title><link rel="canonical" href="https://example.org/a">
<meta property="article:published_time" content="2024-03-01T10:00:00Z">
<style>.x { color: red }</style><script>var tracking = "pixel";</script></head>
<body><nav><a href="/">Accueil</a> <a href="/b">Archives</a></nav>
<div class="cookie-notice">Nous utilisons des cookies</div>
<main><h1>Caf\xe9 ouvert</h1><p>Premier paragraphe, avec <b>gras</b> et un lien.</p>
<h2>Deuxi\xe8me partie</h2><ul><li>un</li><li>deux</li></ul>
<table><tr><th>Nom</th><th>Valeur</th></tr><tr><td>a</td><td>1</td></tr></table>
<p hidden>cach\xe9</p><p style="display: none">invisible</p><script>document.write("no")</script></main>
<footer>Mentions l\xe9gales</footer></body></html>""".encode("cp1252")


def test_html_main_content_in_order_with_title_canonical_language_and_date():
    ex = extract(PAGE, "page.html")
    assert ex.text.split("\n\n")[:3] == ["Café ouvert", "Premier paragraphe, avec gras et un lien.", "Deuxième partie"]
    assert "un\ndeux" in ex.text and "Nom\tValeur\na\t1" in ex.text
    for absent in ("Accueil", "cookies", "Mentions", "tracking", "color", "caché", "invisible", "document.write"):
        assert absent not in ex.text
    assert ex.encoding == "cp1252" and ex.settings["charset_from"] == "the page's <meta charset>"
    assert ex.properties == {"title": "Le titre", "canonical_url": "https://example.org/a", "lang": "fr",
                             "published": "2024-03-01T10:00:00Z"}
    whole = extract(PAGE, "page.html", whole_page=True)
    assert "Accueil" in whole.text and "Mentions légales" in whole.text and "tracking" not in whole.text
    assert whole.settings["whole_page"] is True


def test_boilerplate_inside_the_article_is_left_out_but_not_the_article():
    body = "".join(f"<p>{' '.join(words)}</p>\n" for words in ARTICLE[:5])
    page = f"""<html><head><title>T</title></head><body><main><article><h1>Talks in Jerusalem</h1>
{body}<div class="related"><h2>Related stories</h2><ul><li><a href="/a">Council elections: who is standing</a></li>
<li><a href="/b">Ten best parks to visit this summer</a></li></ul></div>
<div class="tags">Tags: <a href="/t/syria">Syria</a> <a href="/t/iran">Iran</a></div>
</article></main></body></html>""".encode()
    ex = extract(page, "x.html")
    assert ex.text.startswith("Talks in Jerusalem\n\n" + " ".join(ARTICLE[0]))
    assert all(" ".join(words) in ex.text for words in ARTICLE[:5])
    assert "Council elections" not in ex.text and "Ten best parks" not in ex.text and "Tags:" not in ex.text
    assert ex.settings["main_content"].startswith("trafilatura")
    assert "Ten best parks" in extract(page, "x.html", whole_page=True).text


def test_a_page_that_declares_the_wrong_charset_is_refused():
    lying = "<html><head><meta charset='utf-8'></head><body><p>caf\xe9</p></body></html>".encode("cp1252")
    with pytest.raises(ProvenanceError, match="declares the wrong charset"):
        extract(lying, "lying.html")
    # the HTTP header's charset wins over the page's own
    ex = extract(lying, "lying.html", headers={"Content-Type": "text/html; charset=iso-8859-1"})
    assert "café" in ex.text


# --- DOCX ---------------------------------------------------------------------

def _docx_with_tracked_change() -> bytes:
    import docx
    from docx.oxml.ns import qn
    from docx.oxml import OxmlElement

    d = docx.Document()
    d.add_heading("Agreement", level=1)
    p = d.add_paragraph("The fee is ")
    for n, (tag, text_tag, text) in enumerate((("w:ins", "w:t", "ten"), ("w:del", "w:delText", "five")), 1):
        change = OxmlElement(tag)  # a tracked insertion, then a tracked deletion
        change.set(qn("w:id"), str(n))
        change.set(qn("w:author"), "Counsel")
        run, t = OxmlElement("w:r"), OxmlElement(text_tag)
        t.text = text
        run.append(t)
        change.append(run)
        p._p.append(change)
    p.add_run(" euros.")
    d.add_paragraph("First item", style="List Bullet")
    d.add_paragraph("Second item", style="List Bullet")
    table = d.add_table(rows=2, cols=2)
    for r, row in enumerate([("Party", "Role"), ("Acme", "Seller")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    d.add_paragraph("After the table.")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def test_docx_body_in_order_with_tracked_changes_accepted_and_counted():
    ex = extract(_docx_with_tracked_change(), "contract.docx")
    assert ex.text == "Agreement\n\nThe fee is ten euros.\n\nFirst item\nSecond item\n\nParty\tRole\nAcme\tSeller\n\nAfter the table.\n"
    assert ex.properties["tracked_insertions"] == 1 and ex.properties["tracked_deletions"] == 1
    assert ex.settings["tracked_changes"] == "accepted"


# --- ingest through the CLI ---------------------------------------------------

def test_ingest_pdf_html_docx_records_raw_bytes_text_and_how_it_was_extracted(tmp_path, run):
    files = {"report.pdf": make_pdf(), "page.html": PAGE, "contract.docx": _docx_with_tracked_change()}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    store = tmp_path / "store"
    r = run("ingest", *(str(tmp_path / n) for n in files), "--doc", "mixed", "--store", str(store), "--json")
    assert r.exit_code == 0, r.output
    versions = json.loads(r.output)
    assert [v["media_type"].split(";")[0] for v in versions] == [
        "application/pdf", "text/html", renditions_docx_type()]
    assert [v["snapshot"] for v in versions] == ["snapshot.pdf", "snapshot.html", "snapshot.docx"]
    assert versions[0]["extraction"]["pages"] >= 3 and versions[0]["extractor"].startswith("pypdfium2 ")
    assert versions[1]["extraction"]["properties"]["lang"] == "fr"
    with Store.open(store) as s:
        for v, (name, data) in zip(s.versions("mixed"), files.items()):
            assert s.raw(v) == data  # the raw bytes unchanged
            assert s.text(v) == extract(data, name).text
    log = subprocess.run(["git", "-C", str(store), "log", "--format=%B", "-3"], capture_output=True, text=True).stdout
    assert "Pages: " in log and "Extractor-Setting: whole_page=false" in log and "Property: lang=fr" in log
    assert "Extractor: provenance-docx 1 (python-docx" in log


def renditions_docx_type() -> str:
    return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def test_format_override_stores_a_page_as_its_markup(tmp_path, run):
    (tmp_path / "page.html").write_bytes(PAGE)
    r = run("ingest", str(tmp_path / "page.html"), "--doc", "raw", "--format", "text", "--encoding", "cp1252",
            "--store", str(tmp_path / "s"), "--json")
    assert r.exit_code == 0, r.output
    with Store.open(tmp_path / "s") as s:
        assert "<nav>" in s.text(s.resolve("raw"))


@pytest.mark.parametrize("name,data,message", [
    ("cut.pdf", make_pdf()[:3000], "truncated"),
    ("empty.pdf", b"", "empty"),
    ("fake.docx", b"PK\x03\x04 not really a zip", "ZIP"),
    ("lying.html", "<html><meta charset=utf-8><p>caf\xe9</p></html>".encode("cp1252"), "wrong charset"),
])
def test_bad_input_is_one_line_exit_2_and_the_store_unchanged(tmp_path, run, name, data, message):
    store = tmp_path / "store"
    good = tmp_path / "good.txt"
    good.write_text("a first version\n")
    assert run("ingest", str(good), "--doc", "d", "--store", str(store)).exit_code == 0
    before = store_tip(store)
    (tmp_path / name).write_bytes(data)
    r = run("ingest", str(good), str(tmp_path / name), "--doc", "d", "--store", str(store))
    assert r.exit_code == 2
    assert message in r.stderr and r.stderr.count("\n") == 1 and "Traceback" not in r.output
    assert store_tip(store) == before


# --- URLs ---------------------------------------------------------------------

class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict = {}

    def do_GET(self):  # noqa: N802 (http.server's name)
        status, headers, body, delay = self.routes.get(self.path, (404, {}, b"not found", 0))
        if delay:
            time.sleep(delay)
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # The /slow handler writes after its client gave up (the timeout test),
        # possibly once a later test runs: its BrokenPipeError traceback would
        # land in that test's captured stderr (a CliRunner's output).
        pass


@pytest.fixture()
def server():
    httpd = _Server(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    _Handler.routes = {
        "/article": (200, {"Content-Type": "text/html; charset=windows-1252", "ETag": '"v1"',
                           "Last-Modified": "Wed, 21 Oct 2026 07:28:00 GMT"}, PAGE, 0),
        "/moved": (302, {"Location": "/article"}, b"", 0),
        "/gone": (404, {}, b"gone", 0),
        "/empty": (200, {"Content-Type": "text/html"}, b"", 0),
        "/big": (200, {"Content-Type": "text/plain"}, b"x" * 5000, 0),
        "/slow": (200, {"Content-Type": "text/plain"}, b"late", 3),
        "/report.pdf": (200, {"Content-Type": "application/pdf"}, make_pdf(), 0),
    }
    yield base
    httpd.shutdown()


def test_a_url_is_fetched_and_its_http_evidence_recorded(tmp_path, run, server):
    store = tmp_path / "store"
    r = run("ingest", f"{server}/moved", f"{server}/report.pdf", "--doc", "web", "--store", str(store), "--json")
    assert r.exit_code == 0, r.output
    page, pdf = json.loads(r.output)
    assert page["source"] == f"{server}/moved"
    assert page["capture"]["final_url"] == f"{server}/article" and page["capture"]["http_status"] == 200
    assert page["capture"]["http_etag"] == '"v1"' and page["capture"]["http_last_modified"].startswith("Wed, 21 Oct")
    assert page["capture"]["http_content_type"] == "text/html; charset=windows-1252"
    assert page["captured_at"] == page["capture"]["fetched_at"].replace("+00:00", "Z") or page["captured_at"]
    assert page["encoding"] == "cp1252" and pdf["media_type"] == "application/pdf"
    with Store.open(store) as s:
        assert s.raw(s.resolve("web", 1)) == PAGE
    log = subprocess.run(["git", "-C", str(store), "log", "--format=%B"], capture_output=True, text=True).stdout
    assert f"Capture: final_url={server}/article" in log and "Capture: http_status=200" in log


@pytest.mark.parametrize("path,options,message", [
    ("/gone", [], "HTTP 404"),
    ("/empty", [], "0 bytes"),
    ("/big", ["--max-bytes", "1000"], "limit"),
    ("/slow", ["--timeout", "0.5"], "timed out"),
])
def test_failed_fetches_are_one_line_exit_2_and_store_nothing(tmp_path, run, server, path, options, message):
    store = tmp_path / "store"
    r = run("ingest", f"{server}{path}", "--doc", "web", "--store", str(store), *options)
    assert r.exit_code == 2, r.output
    assert message in r.stderr and r.stderr.count("\n") == 1
    assert not store.exists() or store_tip(store) is None


def test_diff_of_a_pdf_file_and_a_web_page_file(tmp_path, run):
    (tmp_path / "a.pdf").write_bytes(make_pdf(seed=4))
    (tmp_path / "a.html").write_bytes(renditions.to_html(ARTICLE, random.Random(4), TITLE))
    r = run("diff", str(tmp_path / "a.pdf"), str(tmp_path / "a.html"), "--format", "json", "--exit-code")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["stats"]["content_changes"] == 0


# --- the shipped samples --------------------------------------------------------

SAMPLES = ROOT / "docs" / "samples"


def test_the_shipped_pdf_and_web_page_differ_by_the_headline_alone():
    pdf = extract((SAMPLES / "article.pdf").read_bytes(), "article.pdf")
    page = extract((SAMPLES / "article.html").read_bytes(), "article.html")
    assert pdf.pages >= 2 and page.properties["canonical_url"].startswith("https://www.al-monitor.com/")
    content = [c for c in compare(pdf.text, page.text).changes if c.cls == "content"]
    assert [(" ".join(c.old_text.split()), c.new_text) for c in content] == [
        ("TEHRAN, MOSCOW DIFFER ON SYRIA, BUT SHARE INTERESTS ELSEWHERE", "banner")]


def test_the_samples_are_rebuilt_byte_for_byte_by_their_script(tmp_path):
    import shutil

    for name in ("build.py", "article-pdf-extract.txt", "article-web-capture.txt"):
        shutil.copy(SAMPLES / name, tmp_path / name)
    (tmp_path / "benchmarks").mkdir()
    script = tmp_path / "build.py"
    # the script finds benchmarks/ two folders up; point it at the repository's
    script.write_text(script.read_text().replace('HERE.parent.parent / "benchmarks"', f'Path({str(ROOT / "benchmarks")!r})'))
    subprocess.run([sys.executable, str(script)], check=True, capture_output=True)
    for name in ("article.pdf", "article.html"):
        assert (tmp_path / name).read_bytes() == (SAMPLES / name).read_bytes(), name


# --- re-extraction --------------------------------------------------------------

def test_reextraction_is_a_new_extraction_of_the_same_capture_never_a_new_version(tmp_path, run):
    store = tmp_path / "store"
    (tmp_path / "page.html").write_bytes(PAGE)
    # ingested as its markup (an old tool, or the wrong choice), then read again as HTML
    assert run("ingest", str(tmp_path / "page.html"), "--doc", "p", "--format", "text", "--encoding", "cp1252",
               "--store", str(store)).exit_code == 0
    r = run("reextract", "p@1", "--format", "html", "--note", "read as HTML", "--store", str(store), "--json")
    assert r.exit_code == 0, r.output
    done = json.loads(r.output)
    assert done["written"] and done["extraction"] == 2 and done["extractor"].startswith("provenance-html")
    assert done["properties"]["lang"] == "fr"
    again = run("reextract", "p@1", "--format", "html", "--store", str(store), "--json")
    assert json.loads(again.output)["written"] is False  # the same text from the same extractor: nothing written
    with Store.open(store) as s:
        assert len(s.versions("p")) == 1  # no new capture
        v = s.resolve("p")
        assert s.raw(v) == PAGE
        assert "<nav>" in s.text(v, 1) and "<nav>" not in s.text(v) and s.text(v) == extract(PAGE, "p").text
        assert [e.number for e in s.extractions(v)] == [1, 2] and s.extractions(v)[1].note == "read as HTML"
        assert s.verify().ok
    assert run("log", "p", "--store", str(store)).output.startswith("p@1:2 ")
    d = run("diff", "p@1:1", "p@1:2", "--format", "json", "--store", str(store))
    data = json.loads(d.output)
    assert data["old"]["label"] == "p@1 (extraction 1 of 2)" and data["new"]["label"] == "p@1 (extraction 2 of 2)"
    assert data["stats"]["content_changes"] > 0
    latest = json.loads(run("diff", "p@1", "p@1:2", "--format", "json", "--store", str(store)).output)
    assert latest["stats"]["changes"] == 0  # the latest extraction by default
    bad = run("diff", "p@1:3", "p@1", "--store", str(store))
    assert bad.exit_code == 2 and "no extraction 3" in bad.stderr
    log = subprocess.run(["git", "-C", str(store), "log", "-1", "--format=%B"], capture_output=True, text=True).stdout
    assert log.startswith("Re-extract p v1 (extraction 2)") and "Extraction: 2" in log and "Property: lang=fr" in log


def test_an_untrusted_tls_certificate_is_refused(tmp_path, run):
    import shutil
    import ssl

    if not shutil.which("openssl"):
        pytest.skip("openssl is needed to make a self-signed certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)
    _Handler.routes = {"/": (200, {"Content-Type": "text/plain"}, b"secret words", 0)}
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        store = tmp_path / "store"
        r = run("ingest", f"https://127.0.0.1:{httpd.server_address[1]}/", "--doc", "tls", "--store", str(store))
        assert r.exit_code == 2 and "TLS error" in r.stderr and r.stderr.count("\n") == 1
        assert not store.exists() or store_tip(store) is None
    finally:
        httpd.shutdown()


def test_a_pdf_and_a_word_file_of_one_text_differ_by_no_content():
    pdf = extract(make_pdf(seed=9, footer="number"), "a.pdf")
    docx = extract(renditions.to_docx(ARTICLE, TITLE), "a.docx")
    assert compare(pdf.text, docx.text).stats["content_changes"] == 0


def test_an_input_over_the_size_limit_is_refused_before_it_is_read(tmp_path, run, monkeypatch):
    big = tmp_path / "big.txt"
    big.write_bytes(b"word " * 400)  # 2,000 bytes
    store = tmp_path / "store"
    r = run("ingest", str(big), "--doc", "d", "--max-bytes", "1000", "--store", str(store))
    assert r.exit_code == 2 and "over the 1,000-byte input limit" in r.stderr and not store.exists()
    monkeypatch.setenv("PROVENANCE_MAX_BYTES", "1500")
    r = run("ingest", str(big), "--doc", "d", "--store", str(store))
    assert r.exit_code == 2 and "1,500-byte" in r.stderr
    monkeypatch.setenv("PROVENANCE_MAX_BYTES", "5000")
    assert run("ingest", str(big), "--doc", "d", "--store", str(store)).exit_code == 0


def test_a_rewritten_extraction_trailer_is_reported(tmp_path, run):
    (tmp_path / "page.html").write_bytes(PAGE)
    store = tmp_path / "store"
    assert run("ingest", str(tmp_path / "page.html"), "--doc", "p", "--store", str(store)).exit_code == 0
    assert run("verify", "--store", str(store)).exit_code == 0
    body = subprocess.run(["git", "-C", str(store), "log", "-1", "--format=%B"], capture_output=True, text=True).stdout
    forged = body.replace("Property: lang=fr", "Property: lang=en")
    assert forged != body
    tree = subprocess.run(["git", "-C", str(store), "rev-parse", "main^{tree}"], capture_output=True, text=True).stdout.strip()
    env = {"GIT_AUTHOR_NAME": "x", "GIT_AUTHOR_EMAIL": "x@y", "GIT_COMMITTER_NAME": "x", "GIT_COMMITTER_EMAIL": "x@y",
           "PATH": __import__("os").environ["PATH"]}
    commit = subprocess.run(["git", "-C", str(store), "commit-tree", tree, "-m", forged], capture_output=True,
                            text=True, env=env).stdout.strip()
    subprocess.run(["git", "-C", str(store), "update-ref", "refs/heads/main", commit], check=True)
    r = run("verify", "--store", str(store))
    assert r.exit_code == 1 and "extraction or capture trailers" in r.output


def test_a_large_pdf_is_read_from_its_file_never_whole(tmp_path, run, monkeypatch):
    """A PDF over ingest.STREAM_OVER is given to PDFium as a path and its
    bytes hashed in chunks: the same text and hashes as from its bytes, the
    same errors, and the size limit still checked before anything is read."""
    import hashlib

    from provenance import ingest
    from provenance.extract import extract
    from provenance.store import RawFile, Store

    monkeypatch.setattr(ingest, "STREAM_OVER", 100)
    reads = []  # (a spy: the real read_input runs, and says whether it read the file whole)
    read_input = ingest.read_input
    monkeypatch.setattr(ingest, "read_input", lambda *a, **k: reads.append(k.get("size_only", False)) or read_input(*a, **k))
    data = make_pdf()
    f = tmp_path / "report.bin"  # (no .pdf: found by its content)
    f.write_bytes(data)
    [item] = ingest.read_versions([("r", str(f))])
    assert reads == [True]  # its size checked, never read whole
    assert item.raw == RawFile(str(f), len(data), hashlib.sha256(data).hexdigest())
    assert item.extracted == extract(data, "report.bin")
    with Store.init(tmp_path / "store") as s:
        [result] = ingest.store_versions(s, [item])
        assert s.raw(result.version) == data and result.version.media_type == "application/pdf"
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(data[: len(data) - 200])
    with pytest.raises(ProvenanceError, match="cut.pdf: a truncated or damaged PDF"):
        ingest.read_versions([("c", str(cut))])
    r = run("ingest", str(f), "--doc", "r2", "--max-bytes", "100", "--store", str(tmp_path / "other"))
    assert r.exit_code == 2 and "over the 100-byte input limit" in r.stderr and not (tmp_path / "other").exists()
