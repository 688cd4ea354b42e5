"""Ingest and store at scale: `provenance ingest` and `provenance log` end to
end, next to plain git doing the same job in the same run.

    python benchmarks/ingest.py            # everything (about 6-8 minutes on 2 cores)
    python benchmarks/ingest.py --quick    # smaller data, fewer runs (about 1-2 minutes)
    python benchmarks/ingest.py --only startup,single,bulk,flat,log,size,big

Data is generated from the texts in benchmarks/corpus (nothing large is
committed) into benchmarks/.data/ingest/ (git-ignored) and rebuilt on every
run.  Timed commands are fresh processes of the installed `provenance`, as a
user runs them; a figure is the median of several runs, with the reference
command interleaved run by run so that load on a shared machine hits both
alike.  Peak memory is the child's maximum resident set size from wait4().

Child processes get a bytecode cache (PYTHONPYCACHEPREFIX under .data), as an
installed tool has, even where PYTHONDONTWRITEBYTECODE is set, and git runs
without user or system configuration.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CORPUS = HERE / "corpus"
DATA = HERE / ".data" / "ingest"
sys.path.insert(0, str(ROOT))  # the API benchmarks use this checkout

USER = "Bench Mark <bench@example.org>"


def provenance_cmd() -> list[str]:
    exe = shutil.which("provenance", path=str(Path(sys.executable).parent)) or shutil.which("provenance")
    return [exe] if exe else [sys.executable, "-m", "provenance.cli"]


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("GIT_") and k not in ("PYTHONDONTWRITEBYTECODE", "PROVENANCE_STORE", "PROVENANCE_JOBS")}
    env.update(PROVENANCE_USER=USER, PYTHONPYCACHEPREFIX=str(DATA.parent / "pycache"),
               GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull,
               GIT_AUTHOR_NAME="Bench Mark", GIT_AUTHOR_EMAIL="bench@example.org",
               GIT_COMMITTER_NAME="Bench Mark", GIT_COMMITTER_EMAIL="bench@example.org")
    env.update(extra)
    return env


ENV = child_env()


# --- data --------------------------------------------------------------------


def corpus_words() -> list[str]:
    words = []
    for path in sorted(CORPUS.glob("*.txt")):
        if "zh" not in path.name:
            words += path.read_text(encoding="utf-8").split()
    return words


def corpus_text() -> str:
    return "\n\n".join(p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt")) if "zh" not in p.name)


def cut(text: str, start: int, size: int) -> str:
    """About `size` characters of `text` from a paragraph start at or after `start`."""
    begin = text.find("\n\n", start)
    begin = 0 if begin < 0 else begin + 2
    end = text.find("\n\n", begin + size)
    return text[begin:end if end > 0 else begin + size].strip() + "\n"


def edit(text: str, rng: random.Random, vocab: list[str], n: int) -> str:
    """Substitute `n` words at random, keeping the layout (spaces and line breaks)."""
    parts = re.split(r"(\s+)", text)
    slots = range(0, len(parts), 2)
    for i in rng.sample(slots, min(n, len(slots))):
        parts[i] = rng.choice(vocab)
    return "".join(parts)


def series(folder: Path, count: int, size: int, edits: int | float, seed: int) -> list[Path]:
    """`count` successive versions of one document of about `size` characters,
    `edits` words (or that share of the words, if < 1) substituted each time."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    rng = random.Random(seed)
    text, vocab = corpus_text(), corpus_words()
    doc = cut(text, rng.randrange(len(text) // 2), size)
    n = edits if edits >= 1 else max(1, round(edits * len(doc.split())))
    paths = []
    for k in range(count):
        doc = edit(doc, rng, vocab, int(n))
        path = folder / f"{k:06d}.txt"
        path.write_text(doc, encoding="utf-8")
        paths.append(path)
    return paths


def many_documents(folder: Path, count: int, seed: int) -> int:
    """`count` documents of 1-5 KB under folder/site<i>/page<k>.txt; total bytes."""
    if folder.exists():
        shutil.rmtree(folder)
    rng = random.Random(seed)
    text = corpus_text()
    total = 0
    for k in range(count):
        sub = folder / f"site{k % 100:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        data = cut(text, rng.randrange(len(text) - 10_000), rng.randrange(1000, 5000)).encode()
        (sub / f"page{k:05d}.txt").write_bytes(data)
        total += len(data)
    return total


# --- measuring ---------------------------------------------------------------


TIME = shutil.which("time", path="/usr/bin:/bin")  # GNU time: the child's own peak memory


def run_once(cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> tuple[float, int]:
    """Wall seconds and peak RSS (KB; 0 if unknown) of one fresh process; exits on failure.

    The peak comes from GNU time when it is installed: wait4() on a child of
    this (large) process would count the memory the child had before exec,
    a copy of ours.
    """
    report = DATA / "time.out"
    launch = [TIME, "-f", "%M", "-o", str(report), *map(str, cmd)] if TIME else list(map(str, cmd))
    start = time.perf_counter()
    proc = subprocess.Popen(launch, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=cwd, env=env or ENV)
    err = proc.stderr.read().decode(errors="replace")
    proc.wait()
    elapsed = time.perf_counter() - start
    proc.stderr.close()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, cmd))} failed ({proc.returncode}): {err.strip()}")
    peak = 0
    if TIME:
        lines = report.read_text().split()
        peak = int(lines[-1]) if lines and lines[-1].isdigit() else 0
    return elapsed, peak


def run(cmd: list[str], **kw) -> str:
    kw.setdefault("env", ENV)
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


def interleaved(jobs: dict[str, callable], runs: int) -> dict[str, tuple[float, int]]:
    """Median seconds and peak RSS of each job (a function returning (s, KB)), run by run."""
    times: dict[str, list[float]] = {k: [] for k in jobs}
    peaks = {k: 0 for k in jobs}
    for _ in range(runs):
        for key, job in jobs.items():
            t, rss = job()
            times[key].append(t)
            peaks[key] = max(peaks[key], rss)
    return {k: (statistics.median(v), peaks[k]) for k, v in times.items()}


def du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def objects_size(store: Path) -> int:
    return du(store / "objects")


def fresh_store(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    run([*provenance_cmd(), "--store", str(path), "init"])
    return path


def row(*cells, widths=(46, 12, 12, 10, 10)) -> str:
    return "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()


def mb(n: float) -> str:
    return f"{n / 1e6:.1f} MB"


def fast_import_reference(paths: list[Path], repo: Path) -> tuple[float, int]:
    """Plain git storing the same versions in one process: one commit per file
    on one path, through `git fast-import` (no trailers, no metadata)."""
    if repo.exists():
        shutil.rmtree(repo)
    run(["git", "init", "-q", "--bare", str(repo)])
    stream = repo.parent / (repo.name + ".fi")
    with open(stream, "wb") as f:
        for k, path in enumerate(paths):
            data = path.read_bytes()
            f.write(b"commit refs/heads/main\ncommitter Bench <b@example.org> %d +0000\ndata 2\nv\n" % (1_700_000_000 + k))
            f.write(b"M 100644 inline doc.txt\ndata %d\n%s\n\n" % (len(data), data))
    result = run_once(["sh", "-c", 'exec git fast-import --quiet < "$0"', str(stream)], env=child_env(GIT_DIR=str(repo)))
    stream.unlink()
    return result


# --- benchmarks ----------------------------------------------------------------


def bench_startup(runs: int) -> None:
    print(f"\n## start-up (median of {runs} runs)\n")
    m = interleaved({"help": lambda: run_once([*provenance_cmd(), "--help"]),
                     "python": lambda: run_once([sys.executable, "-c", "pass"])}, runs)
    print(f"provenance --help: {m['help'][0]:.3f} s (goal < 0.15 s); bare `python -c pass`: {m['python'][0]:.3f} s; "
          f"peak RSS {m['help'][1] / 1024:.0f} MB")
    # What each command imports: third-party and provenance modules, and the slowest imports.
    store = fresh_store(DATA / "startup-store")
    doc = DATA / "startup.txt"
    doc.write_text("A short document.\n")
    # Modules the command adds to what the interpreter loaded before it (site, .pth files).
    probe = ("import sys\nbase = set(sys.modules)\nfrom provenance.cli import cli\n"
             "try:\n    cli(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
             "new = set(sys.modules) - base\n"
             "mods = sorted({m.split('.')[0] for m in new} - set(sys.stdlib_module_names) - {'provenance'})\n"
             "prov = sorted(m for m in new if m.startswith('provenance.'))\n"
             "print(' '.join(mods), '|', ' '.join(prov), file=sys.stderr)")
    print()
    for label, argv in [("--help", ["--help"]), ("ingest", ["--store", str(store), "ingest", str(doc), "--doc", "d"]),
                        ("log", ["--store", str(store), "log", "d"])]:
        out = subprocess.run([sys.executable, "-X", "importtime", "-c", probe, *argv], env=ENV, capture_output=True, text=True)
        lines = out.stderr.splitlines()
        mods = next(line for line in reversed(lines) if "|" in line and not line.startswith("import time"))
        imports = []
        for line in lines:
            m = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)", line)
            if m and len(m.group(2)) <= 1:  # top-level imports only
                imports.append((int(m.group(1)), m.group(3)))
        slow = ", ".join(f"{name} {us / 1000:.0f} ms" for us, name in sorted(imports, reverse=True)[:4])
        third, prov = (part.strip() for part in mods.split("|"))
        print(f"`provenance {label}` imports: third-party {third or '-'}; {prov}")
        print(f"    slowest top-level imports (python -X importtime, inflated by the probe): {slow}")


def bench_single(runs: int) -> None:
    """One 50 KB version, end to end, against git add + commit of the same file."""
    print(f"\n## single ingest of a 50 KB version, end to end (median of {runs} runs)\n")
    versions = series(DATA / "single", runs + 1, 50_000, 5, seed=11)
    store = fresh_store(DATA / "single-store")
    run([*provenance_cmd(), "--store", str(store), "ingest", str(versions[0]), "--doc", "article"])
    repo = DATA / "single-git"
    if repo.exists():
        shutil.rmtree(repo)
    run(["git", "init", "-q", str(repo)])
    shutil.copyfile(versions[0], repo / "article.txt")
    run(["git", "add", "article.txt"], cwd=repo)
    run(["git", "commit", "-q", "-m", "v1"], cwd=repo)
    queue = iter(versions[1:])
    git_queue = iter(versions[1:])

    def ours():
        return run_once([*provenance_cmd(), "--store", str(store), "ingest", str(next(queue)), "--doc", "article"])

    def git_commit():
        shutil.copyfile(next(git_queue), repo / "article.txt")
        return run_once(["sh", "-c", "git add article.txt && git commit -q -m v"], cwd=repo)

    m = interleaved({"ours": ours, "git": git_commit, "python": lambda: run_once([sys.executable, "-c", "pass"])}, runs)
    print(row("command", "median", "vs git", "peak RSS"))
    print(row("provenance ingest v.txt --doc article", f"{m['ours'][0]:.3f} s", f"{m['ours'][0] / m['git'][0]:.1f}x",
              f"{m['ours'][1] / 1024:.0f} MB"), "(goal < 0.3 s)")
    print(row("git add + git commit (a work tree)", f"{m['git'][0]:.3f} s", "1.0x", f"{m['git'][1] / 1024:.0f} MB"))
    print(row("python -c pass (floor)", f"{m['python'][0]:.3f} s", f"{m['python'][0] / m['git'][0]:.1f}x",
              f"{m['python'][1] / 1024:.0f} MB"))


def bench_bulk(runs: int, quick: bool) -> dict[str, Path]:
    """Many versions in one command; returns the stores built (reused by `flat` and `log`)."""
    sizes = [1000] if quick else [1000, 10_000]
    built: dict[str, Path] = {}
    print(f"\n## bulk ingest, one command (median of {runs} runs; 1 run for 10,000)\n")
    print(row("case", "provenance", "versions/s", "peak RSS", "git fast-import alone"))
    for n in sizes:
        folder = DATA / f"series-{n}"
        paths = series(folder, n, 3000, 3, seed=n)
        mean = sum(p.stat().st_size for p in paths) / n
        store = DATA / f"series-{n}-store"
        reps = runs if n <= 1000 else 1

        def ours(jobs=None, store=store, folder=folder, n=n):
            if store.exists():
                shutil.rmtree(store)
            env = child_env(**({"PROVENANCE_JOBS": jobs} if jobs else {}))
            return run_once([*provenance_cmd(), "--store", str(store), "ingest", str(folder), "--doc", "series"], env=env)

        jobs = {"ours": ours, "ref": lambda paths=paths, n=n: fast_import_reference(paths, DATA / f"ref-{n}.git")}
        if n <= 1000:
            jobs["one"] = lambda: ours("1")
        m = interleaved(jobs, reps)
        if "one" in m:
            ours()  # leave the store built with the default settings
        print(row(f"{n:,} versions of one {mean / 1000:.1f} KB document", f"{m['ours'][0]:.2f} s",
                  f"{n / m['ours'][0]:,.0f}", f"{m['ours'][1] / 1024:.0f} MB",
                  f"{m['ref'][0]:.2f} s ({n / m['ref'][0]:,.0f}/s)"), "(goal >= 1,000/s)")
        if "one" in m:
            print(row("  same, word statistics in 1 process", f"{m['one'][0]:.2f} s", f"{n / m['one'][0]:,.0f}",
                      f"{m['one'][1] / 1024:.0f} MB"))
        built[f"series-{n}"] = store
    for n in sizes:
        folder = DATA / f"docs-{n}"
        total = many_documents(folder, n, seed=n)
        store = DATA / f"docs-{n}-store"

        def docs(store=store, folder=folder):
            if store.exists():
                shutil.rmtree(store)
            return run_once([*provenance_cmd(), "--store", str(store), "ingest", "--doc-from-path", str(folder)])

        m = interleaved({"ours": docs}, runs if n <= 1000 else 1)
        print(row(f"{n:,} documents of 1-5 KB (--doc-from-path)", f"{m['ours'][0]:.2f} s", f"{n / m['ours'][0]:,.0f}",
                  f"{m['ours'][1] / 1024:.0f} MB"), f"(mean {total / n / 1000:.1f} KB)")
        # A second crawl: every document again, 3 words changed in each (a new version of each).
        again = DATA / f"docs-{n}-again"
        if again.exists():
            shutil.rmtree(again)
        shutil.copytree(folder, again)
        rng, vocab = random.Random(n), corpus_words()
        for path in sorted(again.rglob("*.txt")):
            path.write_text(edit(path.read_text(encoding="utf-8"), rng, vocab, 3), encoding="utf-8")
        # Each run crawls a fresh copy of the first crawl's store (copied before the clock starts).
        crawled = DATA / f"docs-{n}-crawl-store"

        def crawl(store=store, crawled=crawled, again=again):
            if crawled.exists():
                shutil.rmtree(crawled)
            shutil.copytree(store, crawled, symlinks=True)
            return run_once([*provenance_cmd(), "--store", str(crawled), "ingest", "--doc-from-path", str(again)])

        m = interleaved({"crawl": crawl}, runs if n <= 1000 else 1)
        print(row("  a second crawl: a new version of each", f"{m['crawl'][0]:.2f} s", f"{n / m['crawl'][0]:,.0f}",
                  f"{m['crawl'][1] / 1024:.0f} MB"))
        built[f"docs-{n}"] = crawled
    # Where the time goes: the store alone vs the word statistics (Python API, this process).
    from provenance.diff import word_change_counts
    from provenance.extract import decode
    from provenance.store import Incoming, Store

    paths = series(DATA / "split", 1000, 3000, 3, seed=5)
    texts = [p.read_bytes() for p in paths]
    items = [Incoming("split", t, decode(t), ingested_by=USER) for t in texts]
    store = DATA / "split-store"
    if store.exists():
        shutil.rmtree(store)
    with Store.init(store) as s:
        start = time.perf_counter()
        s.add(items)
        alone = time.perf_counter() - start
    decoded = [t.decode() for t in texts]
    start = time.perf_counter()
    for a, b in zip(decoded, decoded[1:]):
        word_change_counts(a, b)
    stats = (time.perf_counter() - start) / (len(decoded) - 1)
    print(f"\nwhere the time goes (1,000 versions of a {sum(map(len, texts)) / 1000 / 1000:.1f} KB document, Python API, "
          f"this process): Store.add without word statistics {alone:.2f} s = {1000 / alone:,.0f} versions/s; "
          f"provenance.diff.word_change_counts {stats * 1000:.2f} ms per version = {1 / stats:,.0f} versions/s "
          f"in one process")
    return built


def bench_flat(runs: int, quick: bool, built: dict[str, Path]) -> dict[str, Path]:
    """Per-version ingest time: nearly empty store, 10,000 documents, 10,000 versions."""
    n = 1000 if quick else 10_000
    if f"docs-{n}" not in built or f"series-{n}" not in built:
        built = bench_bulk(1, quick)
    print(f"\n## ingest time per version as the store grows (median of {runs} runs; one new ~3 KB version each)\n")
    small = fresh_store(DATA / "flat-small-store")
    edits = series(DATA / "flat-edits", 2 * runs + 2, 3000, 3, seed=99)
    run([*provenance_cmd(), "--store", str(small), "ingest", str(edits[0]), "--doc", "series"])
    # In the 10,000-document store: new versions of one existing document.
    docs_store = built[f"docs-{n}"]
    page = sorted((DATA / f"docs-{n}" / "site07").iterdir())[0]
    doc_id = f"site07/{page.stem}"
    series_store = built[f"series-{n}"]
    queues = {key: iter(edits[1:]) for key in ("small", "docs", "series")}

    def one(key, store, doc):
        return lambda: run_once([*provenance_cmd(), "--store", str(store), "ingest", str(next(queues[key])), "--doc", doc])

    m = interleaved({"small": one("small", small, "series"), "docs": one("docs", docs_store, doc_id),
                     "series": one("series", series_store, "series")}, runs)
    base = m["small"][0]
    print(row("store", "per version", "vs small", "peak RSS"))
    print(row("a store with one short document", f"{base:.3f} s", "1.00x", f"{m['small'][1] / 1024:.0f} MB"))
    print(row(f"a store with {n:,} documents", f"{m['docs'][0]:.3f} s", f"{m['docs'][0] / base:.2f}x",
              f"{m['docs'][1] / 1024:.0f} MB"), "(goal <= 2x)")
    print(row(f"a document with {n:,} versions", f"{m['series'][0]:.3f} s", f"{m['series'][0] / base:.2f}x",
              f"{m['series'][1] / 1024:.0f} MB"), "(goal <= 2x)")
    # The same without process start, through the Python API (Store.add of one version).
    from provenance.diff import word_change_counts
    from provenance.extract import decode
    from provenance.store import Incoming, Store

    more = {key: iter(edits[runs + 1:]) for key in ("small", "docs", "series")}
    api: dict[str, list[float]] = {"small": [], "docs": [], "series": []}
    for _ in range(runs):
        for key, store, doc in (("small", small, "series"), ("docs", docs_store, doc_id), ("series", series_store, "series")):
            data = next(more[key]).read_bytes()
            with Store(store) as s:
                start = time.perf_counter()
                s.add([Incoming(doc, data, decode(data), ingested_by=USER)], change_stats=word_change_counts)
                api[key].append(time.perf_counter() - start)
    med = {k: statistics.median(v) for k, v in api.items()}
    print(f"\nStore.add of one version (in process, median of {runs}): small store {med['small'] * 1000:.1f} ms; "
          f"{n:,} documents {med['docs'] * 1000:.1f} ms ({med['docs'] / med['small']:.2f}x); "
          f"{n:,} versions {med['series'] * 1000:.1f} ms ({med['series'] / med['small']:.2f}x)")
    return built


def bench_log(runs: int, quick: bool, built: dict[str, Path]) -> None:
    n = 1000 if quick else 10_000
    if f"series-{n}" not in built:
        built = bench_bulk(1, quick)
    from provenance.store import document_folder

    store = built[f"series-{n}"]
    print(f"\n## provenance log of a document with {n:,}+ versions (median of {runs} runs)\n")
    m = interleaved({
        "log": lambda: run_once([*provenance_cmd(), "--store", str(store), "log", "series"]),
        "json": lambda: run_once([*provenance_cmd(), "--store", str(store), "log", "series", "--json"]),
        "git": lambda: run_once(["git", "--git-dir", str(store), "log", "--format=%H %aI %s", "main", "--",
                                 document_folder("series")]),
    }, runs)
    print(row("command", "median", "peak RSS"))
    print(row("provenance log series", f"{m['log'][0]:.3f} s", f"{m['log'][1] / 1024:.0f} MB"), "(goal < 0.5 s)")
    print(row("provenance log series --json", f"{m['json'][0]:.3f} s", f"{m['json'][1] / 1024:.0f} MB"))
    print(row("git log --format=... -- <document folder>", f"{m['git'][0]:.3f} s", f"{m['git'][1] / 1024:.0f} MB"))
    # Without the local index (a fresh clone, or deleted): one walk rebuilds it.
    index = store / "provenance-index"
    shutil.rmtree(index, ignore_errors=True)
    t, _ = run_once([*provenance_cmd(), "--store", str(store), "log", "series"])
    print(f"first `provenance log` after deleting provenance-index/ (rebuilt by one walk): {t:.3f} s")
    # Every version of every document: the store of the crawl benchmark (n documents, two versions each).
    docs = built.get(f"docs-{n}")
    if docs is not None:
        m = interleaved({
            "all": lambda: run_once([*provenance_cmd(), "--store", str(docs), "log"]),
            "git": lambda: run_once(["git", "--git-dir", str(docs), "log", "--format=%H %aI %s", "main"]),
        }, runs)
        count = len(run([*provenance_cmd(), "--store", str(docs), "log"]).splitlines())
        print(f"provenance log (no ID) of the store of {n:,} documents, {count:,} versions: {m['all'][0]:.3f} s, "
              f"{m['all'][1] / 1024:.0f} MB (git log --format=... main: {m['git'][0]:.3f} s)")


def bench_size(quick: bool) -> None:
    n = 200 if quick else 1000
    print(f"\n## store size after {n:,} versions of a 50 KB document, 1% of the words changed each time\n")
    paths = series(DATA / "size", n, 50_000, 0.01, seed=7)
    raw = sum(p.stat().st_size for p in paths)
    changed = 0
    prev = paths[0].read_text(encoding="utf-8").split()
    for p in paths[1:]:
        cur = p.read_text(encoding="utf-8").split()
        changed += sum(len(b) + 1 for a, b in zip(prev, cur) if a != b)
        prev = cur
    # One command for all versions.
    bulk = DATA / "size-bulk-store"
    if bulk.exists():
        shutil.rmtree(bulk)
    t_bulk, _ = run_once([*provenance_cmd(), "--store", str(bulk), "ingest", str(DATA / "size"), "--doc", "article"])
    # One add per version, as n separate ingests would do (Python API, so as not to wait for n process starts).
    from provenance.diff import word_change_counts
    from provenance.extract import decode
    from provenance.store import Incoming, Store

    single = DATA / "size-single-store"
    if single.exists():
        shutil.rmtree(single)
    adds = []
    with Store.init(single) as s:
        for p in paths:
            data = p.read_bytes()
            start = time.perf_counter()
            s.add([Incoming("article", data, decode(data), ingested_by=USER)], change_stats=word_change_counts)
            adds.append(time.perf_counter() - start)
    packs = len(list((single / "objects" / "pack").glob("*.pack")))
    loose = int(re.search(r"^count: (\d+)", run(["git", "--git-dir", str(single), "count-objects", "-v"]), re.M).group(1))
    # Plain git, one commit per version in a work tree, then `git gc` (its best).
    repo = DATA / "size-git"
    fast_import_reference(paths, repo)
    run(["git", "--git-dir", str(repo), "gc", "-q"])
    print(row("what", "bytes", "vs raw", widths=(58, 12, 10)))
    print(row(f"raw: {n:,} copies", mb(raw), "100%", widths=(58, 12, 10)))
    print(row("the words that changed (an ideal delta's content)", mb(changed), f"{100 * changed / raw:.2f}%", widths=(58, 12, 10)))
    print(row(f"store, one bulk ingest ({t_bulk:.1f} s)", mb(objects_size(bulk)), f"{100 * objects_size(bulk) / raw:.2f}%",
              widths=(58, 12, 10)))
    print(row(f"store, {n:,} separate adds (self-maintained: {packs} packs, {loose} loose)", mb(objects_size(single)),
              f"{100 * objects_size(single) / raw:.2f}%", widths=(58, 12, 10)))
    print(row("plain git: one file, a commit per version, after git gc", mb(objects_size(repo)),
              f"{100 * objects_size(repo) / raw:.2f}%", widths=(58, 12, 10)))
    adds.sort()
    print(f"\nper add in the {n:,}-add series: median {statistics.median(adds) * 1000:.0f} ms, "
          f"90th percentile {adds[int(0.9 * len(adds))] * 1000:.0f} ms, max {adds[-1] * 1000:.0f} ms "
          f"(first {statistics.median(sorted(adds[:50])) * 1000:.0f} ms)")
    graph = (single / "objects" / "info" / "commit-graphs" / "commit-graph-chain")
    layers = graph.read_text().split() if graph.exists() else []
    midx = (single / "objects" / "pack" / "multi-pack-index").exists()
    print(f"maintenance left: {packs} packs{' + a multi-pack-index' if midx else ''}, {loose} loose objects, "
          f"a commit-graph of {len(layers)} layer(s) with changed-path Bloom filters")


def big_inputs(folder: Path, size: int, seed: int) -> list[tuple[str, Path, list[str]]]:
    """(label, file, extra ingest options) of about `size` bytes each: UTF-8
    text of corpus words; the same as UTF-16 (its text is not its bytes, so
    both a snapshot and a text are stored); a PDF of a few typeset pages
    carrying a large incompressible comment (as a PDF's embedded images
    make it large), forced with --format pdf."""
    sys.path.insert(0, str(HERE))
    import renditions

    rng = random.Random(seed)
    words = corpus_words()
    folder.mkdir(parents=True, exist_ok=True)
    lines, n = [], 0
    while n < size:
        line = " ".join(rng.choice(words) for _ in range(rng.randint(4, 40))) + "\n"
        lines.append(line)
        n += len(line.encode("utf-8"))
    text = "".join(lines)
    utf8, utf16, pdf = folder / "big-utf8.txt", folder / "big-utf16.txt", folder / "big.pdf"
    utf8.write_text(text, encoding="utf-8")
    utf16.write_bytes("\ufeff".encode("utf-16-le") + text[: size // 2].encode("utf-16-le"))
    typeset = renditions.to_pdf([[rng.choice(words) for _ in range(120)] for _ in range(20)], rng, "Big")
    junk = rng.randbytes(size).replace(b"\n", b" ").replace(b"\r", b" ")
    pdf.write_bytes(typeset + b"%" + junk + b"\n" + typeset[typeset.rindex(b"startxref"):])
    return [("UTF-8 text", utf8, []), ("UTF-16 text", utf16, []), ("PDF (--format pdf)", pdf, ["--format", "pdf"])]


def bench_big(runs: int, quick: bool) -> None:
    size = (30 if quick else 90) << 20
    print(f"\n## one big file: peak memory of `provenance ingest` on a {size >> 20} MB input "
          f"(the raw snapshot streamed from its file)\n")
    inputs = big_inputs(DATA / "big", size, seed=11)
    print(row("input", "median", "peak RSS", "RSS/input", "git hash-object -w RSS", widths=(24, 10, 10, 10, 24)))
    limit = str(2 * size)
    for label, path, options in inputs:
        def ours(path=path, options=options):
            store = fresh_store(DATA / "big-store")
            return run_once([*provenance_cmd(), "--store", str(store), "ingest", str(path), "--doc", "big",
                             "--max-bytes", limit, *options])

        def git_alone(path=path):  # the reference: git storing the same file as one blob
            repo = fresh_store(DATA / "big-git")
            return run_once(["git", "--git-dir", str(repo), "hash-object", "-w", str(path)])

        m = interleaved({"ours": ours, "git": git_alone}, max(1, runs // 3))
        input_mb = path.stat().st_size / 2 ** 20
        print(row(f"{label}, {input_mb:.0f} MB", f"{m['ours'][0]:.2f} s", f"{m['ours'][1] / 1024:.0f} MB",
                  f"{m['ours'][1] / 1024 / input_mb:.2f}x", f"{m['git'][1] / 1024:.0f} MB", widths=(24, 10, 10, 10, 24)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller data and fewer runs")
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--only", default="startup,single,bulk,flat,log,size,big",
                        help="comma-separated: startup,single,bulk,flat,log,size,big")
    args = parser.parse_args()
    runs = args.runs or (3 if args.quick else 7)
    only = set(args.only.split(","))
    DATA.mkdir(parents=True, exist_ok=True)
    git_version = run(["git", "--version"]).strip()
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"# provenance ingest benchmark  ({os.cpu_count()} cores, load average {load} at start, "
          f"Python {sys.version.split()[0]}, {git_version})")
    # Warm the bytecode cache of the tool, as an installed one has.
    store = fresh_store(DATA / "warm-store")
    (DATA / "warm.txt").write_text("warm up\n")
    run([*provenance_cmd(), "--store", str(store), "ingest", str(DATA / "warm.txt"), "--doc", "w"])
    run([*provenance_cmd(), "--store", str(store), "log", "w"])
    started = time.perf_counter()
    built: dict[str, Path] = {}
    if "startup" in only:
        bench_startup(max(runs, 10))
    if "single" in only:
        bench_single(max(runs, 9))
    if "bulk" in only:
        built = bench_bulk(runs, args.quick)
    if "flat" in only:
        built = bench_flat(runs, args.quick, built)
    if "log" in only:
        bench_log(runs, args.quick, built)
    if "size" in only:
        bench_size(args.quick)
    if "big" in only:
        bench_big(runs, args.quick)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\n(total {time.perf_counter() - started:.0f} s; load average {load} at the end)")


if __name__ == "__main__":
    main()
