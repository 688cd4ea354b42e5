"""Exports (issue #15): W3C PROV read back by the prov library, BagIt bags
checked by bagit's own validator, the JSON history."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from provenance.cli import cli

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "docs" / "samples"
USER = "Test Archivist <archivist@example.org>"


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("PROVENANCE_USER", USER)
    path = tmp_path / "store"
    r = CliRunner().invoke(cli, ["--store", str(path), "ingest", str(SAMPLES / "article.pdf"),
                                 str(SAMPLES / "article.html"), "--doc", "al-monitor/article",
                                 "--captured-at", "2019-02-04T09:12:00Z"])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(cli, ["--store", str(path), "reextract", "al-monitor/article@2", "--whole-page"])
    assert r.exit_code == 0, r.output
    return path


def invoke(store, *args):
    return CliRunner().invoke(cli, ["--store", str(store), *args], catch_exceptions=False)


def test_prov_json_reads_back_as_the_same_graph_with_versions_captures_and_extractions(store, tmp_path):
    from prov.model import ProvDocument

    out = tmp_path / "a.prov.json"
    assert invoke(store, "export", "al-monitor/article", "--prov", str(out)).exit_code == 0
    text = out.read_text()
    doc = ProvDocument.deserialize(content=text, format="json")
    assert doc == ProvDocument.deserialize(content=doc.serialize(format="json"), format="json")
    records = {str(r.identifier): r for r in doc.get_records() if r.identifier is not None}
    history = json.loads(invoke(store, "export", "al-monitor/article", "--json").output)
    v1, v2 = history["versions"]
    version2 = records["pv:al-monitor%2Farticle/v2"]
    assert dict((str(k), str(v)) for k, v in version2.attributes)["pv:contentSha256"] == v2["content_sha256"]
    kinds = [type(r).__name__ for r in doc.get_records()]
    revisions = [r for r in doc.get_records() if type(r).__name__ == "ProvDerivation"
                 and any(str(v) == "prov:Revision" for _, v in r.attributes)]
    assert [tuple(str(a) for a in r.args[:2]) for r in revisions] == [  # v2 wasRevisionOf v1
        ("pv:al-monitor%2Farticle/v2", "pv:al-monitor%2Farticle/v1")]
    assert kinds.count("ProvActivity") == 2 + 3  # two captures, three extractions (v2 re-extracted)
    assert "pv:al-monitor%2Farticle/v2/extraction/2" in records
    used = [r for r in doc.get_records() if type(r).__name__ == "ProvUsage"]
    assert len(used) == 3 and all("snapshot" in str(r.args[1]) for r in used)
    provn = tmp_path / "a.provn"
    assert invoke(store, "export", "al-monitor/article", "--prov", str(provn), "--prov-format", "provn").exit_code == 0
    assert provn.read_text().startswith("document") and "wasDerivedFrom(pv:al-monitor%2Farticle/v2, pv:al-monitor%2Farticle/v1" in provn.read_text()


def test_a_bagit_bag_validates_and_an_altered_file_makes_it_fail(store, tmp_path):
    import bagit

    bag_dir = tmp_path / "bag"
    r = invoke(store, "export", "al-monitor/article", "--bagit", str(bag_dir))
    assert r.exit_code == 0, r.output
    bag = bagit.Bag(str(bag_dir))
    bag.validate()  # raises if anything is off
    assert "sha256" in bag.algorithms
    files = sorted(str(p.relative_to(bag_dir)) for p in (bag_dir / "data").rglob("*") if p.is_file())
    assert files == ["data/000001/provenance.json", "data/000001/snapshot.pdf", "data/000001/text.txt",
                     "data/000002/provenance.json", "data/000002/snapshot.html",
                     "data/000002/text.extraction-2.txt", "data/000002/text.txt"]
    assert (bag_dir / "data/000001/snapshot.pdf").read_bytes() == (SAMPLES / "article.pdf").read_bytes()
    (bag_dir / "data/000002/text.txt").write_text("forged\n")
    with pytest.raises(bagit.BagValidationError):
        bagit.Bag(str(bag_dir)).validate()
    again = invoke(store, "export", "al-monitor/article", "--bagit", str(bag_dir))
    assert again.exit_code == 2 and "not an empty folder" in again.stderr


def test_export_needs_a_target_and_a_known_document(store):
    r = invoke(store, "export", "al-monitor/article")
    assert r.exit_code == 2 and "--prov FILE, --bagit DIR or --json" in r.stderr
    r = invoke(store, "export", "nobody/here", "--json")
    assert r.exit_code == 2 and "unknown document" in r.stderr


def test_the_site_states_hashes_and_rewrites_only_what_a_grown_store_changed(store, tmp_path, monkeypatch):
    from provenance.site import write_site
    from provenance.store import Store

    out = tmp_path / "site"
    with Store.open(store) as s:
        first = write_site(s, out)
        versions = s.versions("al-monitor/article")
    assert first.documents == 1 and first.unchanged == 0
    page = (out / "d" / "al-monitor_2Farticle" / "index.html").read_text()
    for v in versions:
        assert v.content_sha256 in page and v.commit in page and v.text_sha256 in page
    assert (out / "d" / "al-monitor_2Farticle" / "v" / "2.raw.html.txt").read_bytes() == (SAMPLES / "article.html").read_bytes()
    with Store.open(store) as s:
        again = write_site(s, out)
    assert again.written == [] and again.unchanged == len(first.written)
    (tmp_path / "v3.txt").write_text("A third version of the article, short.\n")
    assert invoke(store, "ingest", str(tmp_path / "v3.txt"), "--doc", "al-monitor/article").exit_code == 0
    with Store.open(store) as s:
        grown = write_site(s, out)
    base = "d/al-monitor_2Farticle"
    assert sorted(grown.written) == sorted([f"{base}/v/3.txt", f"{base}/v/3.raw.txt", f"{base}/v/3.json",
                                            f"{base}/diff/1-3.html", f"{base}/diff/2-3.html",
                                            f"{base}/index.html", "index.html"])
    assert grown.unchanged == len(first.written) - 2  # all but the two index pages
