"""A document's history in forms other systems read: W3C PROV, BagIt, JSON.

Owns the mapping of stored versions to PROV (with the `prov` library) and
the layout of a BagIt bag (with the `bagit` library), and a plain JSON dump.
It only reads the store, never writes to it, and never re-derives a hash:
every hash it states is one the store recorded and verify checks.

PROV model, per version N of document D (names in the `pv:` namespace):
- entity `pv:D` (the document), entity `pv:D/vN` (the version:
  `prov:specializationOf` the document, `prov:wasRevisionOf` version N-1),
  with `pv:snapshot` and `pv:text` entities as its members, each with its
  SHA-256;
- activity `pv:D/vN/capture` (start = end = the capture time, `pv:source`),
  which generated the snapshot and was associated with the agent who
  ingested it (`pv:agent/...`, a prov:Person named as recorded);
- activity `pv:D/vN/extraction/K` per extraction (the extractor, its
  settings), which used the snapshot and generated that extraction's text.
"""

from __future__ import annotations

import json
import os
import urllib.parse
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ProvenanceError

if TYPE_CHECKING:
    from .store import Store

NAMESPACE = "urn:provenance:"


def history(store: "Store", doc_id: str) -> dict:
    """The document's versions, each with its extractions: the `--json` export."""
    versions = store.versions(doc_id)
    if not versions:
        raise ProvenanceError(f"unknown document: {doc_id}")
    return {"document": doc_id, "versions": [
        {**v.to_dict(), "extractions": [e.to_dict() for e in store.extractions(v)]} for v in versions]}


def _local(*parts: str) -> str:
    return "/".join(urllib.parse.quote(p, safe="@") for p in parts)


def prov_document(store: "Store", doc_id: str):
    """A prov.model.ProvDocument of the document's history (see the module docstring)."""
    from prov.model import PROV_TYPE, ProvDocument

    data = history(store, doc_id)
    doc = ProvDocument()
    pv = doc.add_namespace("pv", NAMESPACE)
    document = doc.entity(pv[_local(doc_id)], {PROV_TYPE: pv["Document"], "pv:id": doc_id})
    previous = None
    agents: dict[str, object] = {}
    for v in data["versions"]:
        n = v["version"]
        base = _local(doc_id, f"v{n}")
        version = doc.entity(pv[base], {PROV_TYPE: pv["Version"], "pv:number": n, "pv:commit": v["commit"],
                                        "pv:contentSha256": v["content_sha256"], "pv:textSha256": v["text_sha256"],
                                        "pv:mediaType": v["media_type"], "pv:path": v["path"]})
        doc.specializationOf(version, document)
        if previous is not None:
            doc.wasRevisionOf(version, previous)
        previous = version
        snapshot = doc.entity(pv[base + "/snapshot"], {PROV_TYPE: pv["Snapshot"], "pv:sha256": v["content_sha256"],
                                                       "pv:bytes": v["bytes"], "pv:mediaType": v["media_type"]})
        doc.hadMember(version, snapshot)
        capture_attrs = {PROV_TYPE: pv["Capture"]}
        if v.get("source"):
            capture_attrs["pv:source"] = v["source"]
        for key, value in (v.get("capture") or {}).items():
            capture_attrs[f"pv:{key}"] = str(value)
        capture = doc.activity(pv[base + "/capture"], v["captured_at"], v["captured_at"], capture_attrs)
        doc.wasGeneratedBy(snapshot, capture, v["captured_at"])
        who = v["ingested_by"]
        if who not in agents:
            agents[who] = doc.agent(pv[_local("agent", who)], {PROV_TYPE: "prov:Person", "pv:name": who})
        doc.wasAssociatedWith(capture, agents[who])
        for e in v["extractions"]:
            k = e["extraction"]
            text = doc.entity(pv[base + f"/text/{k}"], {PROV_TYPE: pv["Text"], "pv:sha256": e["text_sha256"],
                                                       "pv:chars": e["text_chars"], "pv:extraction": k})
            doc.hadMember(version, text)
            attrs = {PROV_TYPE: pv["Extraction"], "pv:extractor": e["extractor"]}
            if e.get("settings"):
                attrs["pv:settings"] = json.dumps(e["settings"], sort_keys=True, ensure_ascii=False)
            extraction = doc.activity(pv[base + f"/extraction/{k}"], e["extracted_at"], e["extracted_at"], attrs)
            doc.used(extraction, snapshot)
            doc.wasGeneratedBy(text, extraction, e["extracted_at"])
            doc.wasDerivedFrom(text, snapshot)
            who = e["extracted_by"]
            if who not in agents:
                agents[who] = doc.agent(pv[_local("agent", who)], {PROV_TYPE: "prov:Person", "pv:name": who})
            doc.wasAssociatedWith(extraction, agents[who])
    return doc


def write_prov(store: "Store", doc_id: str, path: str | os.PathLike, fmt: str = "json") -> None:
    """PROV-JSON (`fmt="json"`) or PROV-N (`"provn"`) of the document to `path`."""
    doc = prov_document(store, doc_id)
    text = doc.serialize(format="json", indent=2) if fmt == "json" else doc.get_provn()
    try:
        Path(path).write_text(text + ("" if text.endswith("\n") else "\n"), encoding="utf-8")
    except OSError as exc:
        raise ProvenanceError(f"{path}: cannot write ({exc.strerror})") from None


def write_bag(store: "Store", doc_id: str, folder: str | os.PathLike) -> Path:
    """A BagIt bag of the document: for each version its raw snapshot, every
    extraction's text and its metadata (data/<NNNNNN>/...), with SHA-256
    manifests.  `folder` must not exist or be empty."""
    import bagit

    from . import __version__

    data = history(store, doc_id)
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ProvenanceError(f"{folder}: exists and is not an empty folder; a bag needs a new one")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for v, version in zip(data["versions"], store.versions(doc_id)):
            out = folder / f"{v['version']:06d}"
            out.mkdir()
            (out / version.snapshot).write_bytes(store.raw(version))
            for e in v["extractions"]:
                name = "text.txt" if e["extraction"] == 1 else f"text.extraction-{e['extraction']}.txt"
                (out / name).write_bytes(store.text(version, e["extraction"]).encode("utf-8"))
            (out / "provenance.json").write_text(json.dumps(v, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
                                                 encoding="utf-8")
        bagit.make_bag(str(folder), {"Source-Organization": "provenance", "External-Identifier": doc_id,
                                     "External-Description": f"Every stored version of {doc_id}: raw snapshots "
                                                             f"as received, extracted texts, metadata",
                                     "Bag-Software-Agent": f"provenance {__version__} (bagit {bagit.VERSION})"},
                       checksums=["sha256"])
    except OSError as exc:
        raise ProvenanceError(f"{folder}: cannot write the bag ({exc.strerror})") from None
    return folder
