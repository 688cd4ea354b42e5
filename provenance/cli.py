"""The `provenance` command: a thin click layer over the Python API.

Start-up matters (every command pays it), so modules are imported inside the
commands that need them: the store only for commands that use one (and
GitPython only where the store creates or fsck-checks a repository), the diff
only for diff and ingest, jinja2 only for HTML, json and pathlib only where
used (some 4 ms of a diff's 60 ms floor), and the sync commands' module only
when one of them runs (or --help lists them).
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from typing import TYPE_CHECKING

import click

from . import __version__
from .errors import ProvenanceError

if TYPE_CHECKING:
    from pathlib import Path

DEFAULT_STORE = "store"

# Commands defined in other modules, imported when first looked up: name -> (module, attribute).
_LAZY_COMMANDS = {
    "clone": ("cli_sync", "clone"),
    "pull": ("cli_sync", "pull"),
    "push": ("cli_sync", "push"),
    "remote": ("cli_sync", "remote"),
    "sync": ("cli_sync", "sync_command"),
}


class _CLI(click.Group):
    """Every error, ours or click's, is one line on stderr and exit status 2.
    The commands of _LAZY_COMMANDS load with their module on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in _LAZY_COMMANDS and name not in self.commands:
            import importlib

            module, attribute = _LAZY_COMMANDS[name]
            self.add_command(getattr(importlib.import_module(f".{module}", __package__), attribute), name)
        return super().get_command(ctx, name)

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except ProvenanceError as exc:
            _fail(str(exc))
        except click.UsageError as exc:
            hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
            _fail(exc.format_message() + hint)
        except click.ClickException as exc:
            _fail(exc.format_message())
        except click.Abort:
            click.echo("aborted", err=True)
            sys.exit(1)
        except BrokenPipeError:
            sys.stderr.close()  # output piped into `head`: not an error
            sys.exit(0)
        sys.exit(rv if isinstance(rv, int) else 0)


def _fail(message: str) -> None:
    message = " ".join(message.split())  # one line, whatever the message held
    click.echo(f"provenance: error: {message}", err=True)
    sys.exit(2)


def _store_option(f):
    return click.option(
        "--store", "store_path", type=click.Path(file_okay=False), default=None,
        help="Store location (default: $PROVENANCE_STORE or ./store).",
    )(f)


def _store_path(ctx: click.Context, store_path: str | None) -> Path:
    from pathlib import Path

    chosen = store_path or (ctx.obj or {}).get("store") or os.environ.get("PROVENANCE_STORE") or DEFAULT_STORE
    return Path(chosen)


def _open_store(ctx: click.Context, store_path: str | None, create: bool = False):
    from .store import Store

    store = Store.open(_store_path(ctx, store_path), create=create)
    store.on_busy = lambda message: click.echo(f"provenance: {message}", err=True)
    return store


def _dump(data) -> None:
    import json

    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _short(sha: str | None) -> str:
    return f"sha256:{sha[:8]}" if sha else "-"


# --- Viewing reports and shell completion (issue #15 item 4) ------------------
# --view, --open, the `open` command (below, before main) and the completion
# of document ids; the work is in browse.py.

def _view_option(f):
    return click.option("--view", type=click.Choice(["inline", "side-by-side"]), default="inline", show_default=True,
                        help="HTML: the view the report opens in (a control on the page switches to the other).")(f)


def _open_option(f):
    return click.option("--open", "open_it", is_flag=True,
                        help="Write the HTML report (to -o, or a temporary file) and open it in the default browser.")(f)


def _complete_ref(ctx: click.Context, param, incomplete: str):
    """Shell completion of document ids and ID@N from the store; nothing
    (never an error) when there is no store or it cannot be read."""
    try:
        from pathlib import Path

        from .browse import complete_refs

        store = None
        c = ctx
        while c is not None and store is None:
            store = c.params.get("store_path")
            c = c.parent
        return complete_refs(Path(store or os.environ.get("PROVENANCE_STORE") or DEFAULT_STORE), incomplete)
    except Exception:  # completion must never print a traceback into the shell
        return []


def _complete_ref_or_file(ctx: click.Context, param, incomplete: str):
    from click.shell_completion import CompletionItem

    # No document matches: let the shell complete a file name.
    return _complete_ref(ctx, param, incomplete) or [CompletionItem(incomplete, type="file")]


def _show_report(path: str | Path) -> None:
    from .browse import open_in_browser

    if open_in_browser(path):
        click.echo(f"opened {path} in the browser")
    else:
        click.echo(f"no browser could be started (set BROWSER); the report is at {path}", err=True)

# --- end of viewing reports and shell completion -------------------------------


@click.group(cls=_CLI, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="provenance")
@click.option("--store", "store_path", type=click.Path(file_okay=False), default=None,
              help="Store location for every command (default: $PROVENANCE_STORE or ./store).")
@click.pass_context
def cli(ctx: click.Context, store_path: str | None) -> None:
    """Track versions of documents and show exactly what changed.

    \b
      provenance ingest article.txt --doc nyt/article --source https://...
      provenance diff nyt/article@1 nyt/article -o report.html
      provenance diff old.txt new.txt            # two files, no store
      git -C store log                           # the audit trail
    """
    ctx.obj = {"store": store_path}


@cli.command()
@_store_option
@click.pass_context
def init(ctx: click.Context, store_path: str | None) -> None:
    """Create a store (a bare git repository); fine if it exists.

    \b
      provenance init                      # ./store, or $PROVENANCE_STORE
      provenance --store /data/evidence init
    """
    from .store import Store

    path = _store_path(ctx, store_path)
    with Store.init(path) as store:
        click.echo(f"store ready at {store.path}")


@cli.command()
@click.argument("paths", nargs=-1, required=True, metavar="FILE|DIR|URL...")
@click.option("--doc", "doc_id", help="Document id, e.g. 'acme/terms' (no '@', no '..').")
@click.option("--doc-from-path", "from_path", is_flag=True,
              help="Many documents at once: every file under each DIR (recursively) is a document named after "
                   "its path inside DIR without the extension (DIR/acme/terms.html -> acme/terms).")
@click.option("--source", help="Where the document came from (URL). Default: the file name.")
@click.option("--captured-at", help="When it was captured, ISO-8601 (default: now; no offset means UTC).")
@click.option("--note", help="Free text recorded with each version.")
@click.option("--meta", "meta", multiple=True, metavar="KEY=VALUE", help="Extra metadata; repeatable.")
@click.option("--by", "ingested_by", help="Who ingests (default: $PROVENANCE_USER, then git's user.name/email).")
@click.option("--encoding", help="Decode text and HTML with this encoding instead of the declared or detected one.")
@click.option("--format", "input_format", type=click.Choice(["pdf", "html", "docx", "text"]),
              help="Read every input as this format (default: recognised from its content).")
@click.option("--whole-page", is_flag=True,
              help="HTML: keep all visible text, navigation and footers included, not only the main content.")
@click.option("--max-bytes", type=click.IntRange(1), default=None,
              help="Refuse a file or a URL's response larger than this (default: $PROVENANCE_MAX_BYTES or 100 MiB).")
@click.option("--timeout", type=click.FloatRange(0, min_open=True), default=None,
              help="URLs: seconds to wait to connect and between bytes received (default: 30).")
@click.option("--sign", is_flag=True,
              help="Sign each commit with your git signing key (always, if the store sets provenance.sign).")
@click.option("--json", "as_json", is_flag=True, help="Print results as JSON.")
@_store_option
@click.pass_context
def ingest(ctx, paths, doc_id, from_path, source, captured_at, note, meta, ingested_by, encoding, input_format,
           whole_page, max_bytes, timeout, sign, as_json, store_path):
    """Store files as successive versions of a document, or many documents at once.

    \b
      provenance ingest report.pdf page.html --doc acme/terms  # PDF, web page, DOCX, text
      provenance ingest https://acme.example/terms --doc acme/terms  # fetched now
      provenance ingest v1.txt v2.txt - --doc acme/terms     # three; - is standard input
      provenance ingest captures/ --doc acme/terms           # a folder's files, by name
      provenance ingest --doc-from-path crawl-01/ crawl-02/  # every file, named by path

    Each input's format is recognised from its content (--format overrides):
    a PDF's text is read page by page, an HTML page's main content (all of
    it with --whole-page), a Word file's body.  The raw bytes are stored
    untouched beside the text.  A URL is fetched; the bytes received, the
    final URL, the HTTP status and evidence headers and the fetch time (the
    capture time) are recorded.

    With --doc, a folder stands for its files sorted by name (not its
    subfolders, not hidden files).  With --doc-from-path, each DIR is walked
    recursively (hidden files and folders skipped); a path found in several
    DIRs, e.g. successive crawls, gets one version per DIR, in the order given.

    Each version is one commit holding the raw bytes, the decoded text, their
    SHA-256 and the metadata as git trailers.  Content identical to the latest
    version is recorded as seen again, not as a new version.  Every file is
    read and decoded before anything is stored: one bad file stops the
    command and the store is left as it was.  Then all versions are stored at
    once.  On a terminal, progress bars show both steps.
    """
    from .ingest import (documents_in_folders, expand_paths, parse_meta, parse_time, read_versions,
                         store_versions, validate_doc_id)

    if from_path and doc_id is not None:
        raise click.UsageError("give --doc ID or --doc-from-path, not both")
    if from_path:
        files = documents_in_folders(paths)
    elif doc_id is None:
        raise click.UsageError("missing --doc ID (or --doc-from-path to name documents after their paths)")
    else:
        validate_doc_id(doc_id)
        files = [(doc_id, path) for path in expand_paths(paths)]
    when = parse_time(captured_at) if captured_at else None
    meta_dict = parse_meta(meta)
    bars = []  # one click progress bar per step, on standard error, only if it is a terminal

    def step(label):
        if len(files) < 2 or not sys.stderr.isatty():
            return None

        def advance(k: int) -> None:
            if not bars or bars[-1].label != label:
                if bars:
                    bars[-1].render_finish()
                bars.append(click.progressbar(length=len(files), label=label, file=sys.stderr,
                                              update_min_steps=max(1, len(files) // 200)))
            bars[-1].update(k)

        return advance

    try:
        # Read and decode everything first: bad input stops here, before a
        # store is even created.
        items = read_versions(files, source=source, captured_at=when, note=note, meta=meta_dict,
                              ingested_by=ingested_by, encoding=encoding, format=input_format,
                              whole_page=whole_page, max_bytes=max_bytes, timeout=timeout, stdin=sys.stdin.buffer,
                              read_progress=step("reading"))
        with _open_store(ctx, store_path, create=True) as store:
            if sign:
                store.sign = True
            results = store_versions(store, items, progress=step("storing"))
    finally:
        if bars:
            bars[-1].render_finish()
    if as_json:
        _dump([{"status": r.status, **r.version.to_dict()} for r in results])
        return
    lines = []  # printed at once: a bulk ingest has thousands
    for r in results:
        v = r.version
        head = f"{v.document} v{v.number}  {_short(v.content_sha256)}"
        if r.status == "seen-again":
            lines.append(f"{head}  seen again: same content as the latest version, no new version")
        elif v.words_added is None:
            lines.append(f"{head}  new document")
        else:
            line = f"{head}  +{v.words_added} -{v.words_removed} words"
            if v.repeats:
                line += f"  (same content as v{v.repeats})"
            lines.append(line)
    click.echo("\n".join(lines))


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@_store_option
@click.pass_context
def docs(ctx, as_json, store_path):
    """List documents with their version counts and last capture.

    \b
      provenance docs
      provenance docs --json | jq -r '.[].document'
    """
    with _open_store(ctx, store_path) as store:
        summaries = store.documents()
    if as_json:
        _dump([s.to_dict() for s in summaries])
        return
    if not summaries:
        click.echo("no documents yet (add one with: provenance ingest FILE --doc ID)")
    width = max((len(s.document) for s in summaries), default=0)
    for s in summaries:
        count = f"{s.versions} version" + ("s" if s.versions != 1 else "")
        click.echo(f"{s.document:<{width}}  {count:>12}  last captured {s.last_captured_at}")


def _change_size(v) -> str:
    if v.words_added is None:
        return "new"
    size = f"+{v.words_added} -{v.words_removed}"
    return size + (f" =v{v.repeats}" if v.repeats else "")


@cli.command()
@click.argument("doc_id", required=False, shell_complete=_complete_ref)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@_store_option
@click.pass_context
def log(ctx, doc_id, as_json, store_path):
    """List versions, newest first: of one document, or of all.

    \b
      provenance log acme/terms            # one document's versions
      provenance log --json                # every version of every document

    For one document, a version whose text was re-extracted shows as ID@N:K,
    K being the extraction diff and show use (see reextract)."""
    with _open_store(ctx, store_path) as store:
        if doc_id:
            versions = store.versions(doc_id)
        else:
            versions = store.all_versions()
        # Which extraction diff and show use: the latest (one document's log only:
        # it costs a tree read per version).
        extractions = {v.path: store.latest_extraction(v) for v in versions} if doc_id else {}
    if doc_id:
        versions.reverse()  # newest first by number (after a sync, ingest times interleave)
    else:
        versions.sort(key=lambda v: (v.ingested_at, v.number), reverse=True)
    if as_json:
        _dump([{**v.to_dict(), **({"extraction": extractions[v.path]} if doc_id else {})} for v in versions])
        return
    lines = []
    for v in versions:
        label = f"{v.document}@{v.number}"
        if extractions.get(v.path, 1) > 1:
            label += f":{extractions[v.path]}"
        seen = f"  seen {len(v.seen)} more time" + ("s" if len(v.seen) != 1 else "") if v.seen else ""
        lines.append(f"{label}  {_short(v.content_sha256)}  {v.captured_at}  {_change_size(v):>10}  {v.source or '-'}{seen}")
    if lines:
        click.echo("\n".join(lines))  # one write: 10,000 echo calls cost 0.1 s


@cli.command()
@click.argument("ref", shell_complete=_complete_ref)
@click.option("--raw", is_flag=True, help="Print the raw bytes as received instead of the text.")
@click.option("--extraction", type=click.IntRange(1), default=None,
              help="Which extraction of the text (1: the one stored at ingest; default: the latest).")
@click.option("--json", "as_json", is_flag=True, help="Print metadata, extractions and text as JSON.")
@_store_option
@click.pass_context
def show(ctx, ref, raw, extraction, as_json, store_path):
    """Print a version's text: REF is ID (latest), ID@N, ID@-K or ID@UID.

    \b
      provenance show acme/terms@2         # the text of version 2
      provenance show acme/terms --raw > terms.pdf   # the bytes as captured
    """
    from .ingest import parse_ref

    doc_id, spec = parse_ref(ref)
    with _open_store(ctx, store_path) as store:
        version = store.resolve(doc_id, spec)
        if as_json:
            extractions = store.extractions(version)
            n = extraction or extractions[-1].number
            _dump({**version.to_dict(), "extractions": [e.to_dict() for e in extractions],
                   "text_extraction": n, "text": store.text(version, n)})
        elif raw:
            out = sys.stdout.buffer
            out.write(store.raw(version))
            out.flush()
        else:
            click.echo(store.text(version, extraction), nl=False)


@cli.command()
@click.argument("ref", shell_complete=_complete_ref)
@click.option("--format", "input_format", type=click.Choice(["pdf", "html", "docx", "text"]),
              help="Read the raw bytes as this format (default: recognised from their content).")
@click.option("--whole-page", is_flag=True, help="HTML: keep all visible text (default: as at ingest).")
@click.option("--encoding", help="Decode with this encoding instead of the declared or detected one.")
@click.option("--note", help="Why it was re-extracted; recorded with the extraction.")
@click.option("--by", "ingested_by", help="Who re-extracts (default: $PROVENANCE_USER, then git's user.name/email).")
@click.option("--sign", is_flag=True,
              help="Sign the commit with your git signing key (always, if the store sets provenance.sign).")
@click.option("--json", "as_json", is_flag=True, help="Print the extraction as JSON.")
@_store_option
@click.pass_context
def reextract(ctx, ref, input_format, whole_page, encoding, note, ingested_by, sign, as_json, store_path):
    """Extract a stored version's text again from its raw bytes.

    \b
      provenance reextract acme/terms@3              # today's extractor
      provenance reextract acme/terms --whole-page   # all of the page's text

    The new text is recorded as the next extraction of the same capture (one
    commit adding extractions/N/ to the version folder), never as a new
    version: a better extractor does not fabricate a document change.  diff
    and show use the latest extraction unless told otherwise, and say which.
    Nothing is written when the latest extraction already holds this text
    from this extractor with these settings.
    """
    from .ingest import parse_ref, reextract as run_reextract

    doc_id, spec = parse_ref(ref)
    with _open_store(ctx, store_path) as store:
        if sign:
            store.sign = True
        version = store.resolve(doc_id, spec)
        done, written = run_reextract(store, version, format=input_format, whole_page=whole_page,
                                      encoding=encoding, ingested_by=ingested_by, note=note)
    if as_json:
        _dump({"written": written, **done.to_dict()})
        return
    head = f"{version.document} v{version.number} extraction {done.number}  {_short(done.text_sha256)}  {done.extractor}"
    click.echo(head if written else f"{head}  unchanged: the latest extraction already gives this text")


def _load_side(ctx, arg: str, store_path: str | None, stores: dict, original: bool = False, whole_page: bool = False):
    """A path to a file, or a document reference in the store."""
    from .ingest import parse_ref, side_for_file, side_for_version

    if arg == "-" or os.path.isfile(arg):
        return side_for_file(arg, sys.stdin.buffer, whole_page=whole_page)
    if os.path.isdir(arg):
        raise ProvenanceError(f"{arg}: is a directory, not a file or document")
    path = _store_path(ctx, store_path)
    if not path.exists():
        raise ProvenanceError(f"{arg}: no such file, and no store at {path} to look it up as a document")
    extraction = 1 if original else None
    picked = re.fullmatch(r"(.+@(?:-?\d+|[0-9a-f]{12})):(\d+)", arg)  # ID@N:K (or ID@UID:K), extraction K
    if picked:
        arg, extraction = picked.group(1), int(picked.group(2))
    doc_id, spec = parse_ref(arg)
    if "store" not in stores:
        stores["store"] = _open_store(ctx, store_path)
    store = stores["store"]
    version = store.resolve(doc_id, spec)
    if extraction is not None:
        store.history.extraction_number(version, extraction)  # a clear error for one that does not exist
    return side_for_version(store, version, extraction)


def _write_report(output: str, pieces) -> None:
    """Write a report's pieces to `output` whole or not at all: into a
    temporary file beside it, renamed over it at the end, so a full disk or
    an error half-way leaves the old file (or none), never half a report.
    A device or pipe (-o /dev/stdout) is written directly."""
    import stat

    try:
        direct = not stat.S_ISREG(os.stat(output).st_mode)
    except OSError:
        direct = False
    target = output if direct else os.path.join(os.path.dirname(output), f".{os.path.basename(output)}.{os.getpid()}.tmp")
    try:
        try:
            with open(target, "w", encoding="utf-8") as f:  # (as Path.write_text writes)
                for piece in pieces:
                    f.write(piece)
            if not direct:
                os.replace(target, output)
        except BaseException:
            if not direct:
                with contextlib.suppress(OSError):
                    os.unlink(target)
            raise
    except OSError as exc:
        raise ProvenanceError(f"{output}: cannot write ({exc.strerror})") from None


def _format_for(output: str | None, fmt: str | None) -> str:
    if fmt:
        return fmt
    suffix = os.path.splitext(output)[1].lower() if output else ""
    return {".html": "html", ".htm": "html", ".json": "json"}.get(suffix, "text")


@cli.command()
@click.argument("old", shell_complete=_complete_ref_or_file)
@click.argument("new", shell_complete=_complete_ref_or_file)
@click.option("--format", "fmt", type=click.Choice(["text", "html", "json"]),
              help="Output format (default: from -o's extension, else text).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file instead of standard output.")
@click.option("--exit-code", is_flag=True, help="Exit 1 when the content differs (formatting alone does not count).")
@click.option("--strict", is_flag=True, help="Treat typography (quotes, dashes, ligatures) as content.")
@click.option("--ignore-case", is_flag=True, help="Case differences are formatting, not content.")
@click.option("--no-moves", is_flag=True, help="Report moved passages as a deletion and an insertion.")
@click.option("--context", type=click.IntRange(0), default=None,
              help="Words of context around changes (default: text 8; HTML 40, or 12 in a changes-only report).")
@click.option("--full/--changes-only", "full", default=None,
              help="HTML: include the text of folded unchanged stretches (default: only for documents up to 1 MB).")
@click.option("--formatting/--no-formatting", "show_formatting", default=True,
              help="Text output: mark formatting changes (default) or show them as plain text.")
@click.option("--color/--no-color", default=None, help="Colour text output (default: on a terminal).")
@click.option("--original", is_flag=True,
              help="Stored versions: compare the texts stored at ingest, not their latest re-extractions.")
@click.option("--whole-page", is_flag=True, help="HTML files: compare all visible text, not only the main content.")
@_view_option
@_open_option
@_store_option
@click.pass_context
def diff(ctx, old, new, fmt, output, exit_code, strict, ignore_case, no_moves, context, full, show_formatting, color,
         original, whole_page, view, open_it, store_path):
    """Compare OLD and NEW word by word.

    \b
      provenance diff acme/terms@1 acme/terms -o report.html --view side-by-side
      provenance diff old.pdf new.html --open    # files, no store; shown in the browser

    Each is a file path, or a stored version: ID (latest), ID@N, or ID@-K
    (K before the latest; ID@-1 is the one before the latest); ID@N:K is
    extraction K of version N (see reextract; default: the latest).  PDF,
    HTML and DOCX files are compared as the text ingest would store.  Whitespace and
    line wrapping are never changes; typography and line-break hyphenation are
    formatting; everything else is content.
    """
    from . import render
    from .diff import compare
    from .tokens import _speedups

    if _speedups is not None:
        # Freed big blocks go back to the system at once (glibc would keep
        # more and more of them on its heap): the peak memory of a 16 MB
        # one-line diff, 166 -> 144 MB.  From 128 KB, not 1 MB: the columns
        # of regions, segments and changes (under 1 MB each) grew on the heap
        # by realloc, leaving holes (1 MB with 20% edits: 49.9 -> 45.3 MB;
        # 4 MB: 87.4 -> 85.2 MB; no slower).
        _speedups._mmap_big_blocks(1 << 17)
    from .diff import pipeline

    stores: dict = {}
    try:
        old_side = _load_side(ctx, old, store_path, stores, original, whole_page)
        new_side = _load_side(ctx, new, store_path, stores, original, whole_page)
    finally:
        for store in stores.values():
            store.close()
    # Nothing kept for another comparison, in this command: a caller that
    # runs it in its own process (CliRunner, cli.main) keeps its caches.
    was, pipeline.ONE_COMPARISON = pipeline.ONE_COMPARISON, True
    try:
        cmp = compare(old_side, new_side, strict=strict, ignore_case=ignore_case, detect_moves=not no_moves)
    finally:
        pipeline.ONE_COMPARISON = was
    if open_it:  # (viewing reports block)
        if fmt not in (None, "html") or (output and _format_for(output, None) != "html"):
            raise click.UsageError("--open shows an HTML report: give -o a .html file and no other --format")
        from .browse import report_file

        fmt, output = "html", output or str(report_file(old, new))
    fmt = _format_for(output, fmt)
    if fmt == "json":
        pieces = render.iter_json(cmp)  # written as made: the whole document is never held
    elif fmt == "html":
        pieces = [render.render_html(cmp, full=full, context=context, view=view)]
    else:
        use_color = color if color is not None else (output is None and sys.stdout.isatty())
        pieces = [render.render_text(cmp, color=use_color, show_formatting=show_formatting,
                                     **({"context": context} if context is not None else {}))]
    if output:
        _write_report(output, pieces)
        s = cmp.stats
        click.echo(f"{fmt} report written to {os.path.realpath(output)}  "
                   f"({s['content_changes']} content, {s['formatting_changes']} formatting changes)")
        if open_it:
            _show_report(os.path.realpath(output))
    else:
        for piece in pieces:
            click.echo(piece, nl=False)
    global _teardown_needed
    _teardown_needed = False  # all written: nothing left for the interpreter's teardown to do (see main)
    if exit_code and cmp.content_differs:
        ctx.exit(1)


@cli.command()
@click.argument("doc_id", required=False, shell_complete=_complete_ref)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--since-checkpoint", "since", metavar="ID",
              help="Also prove the store only grew since this checkpoint (a commit id verify printed).")
@click.option("--sign", is_flag=True, help="Sign the checkpoint with your git signing key (user.signingkey).")
@click.option("--signatures", is_flag=True,
              help="Check every commit's signature with git (good, bad, unknown key, unsigned); a bad one fails.")
@_store_option
@click.pass_context
def verify(ctx, doc_id, as_json, since, sign, signatures, store_path):
    """Re-check every stored version's hashes and the git history.

    Checks every trailer against meta.json and the stored bytes, that main's
    history still holds every checkpoint and every value its reflog
    recorded, and reports signatures.  When the whole store checks out, it
    records a checkpoint (a commit id and date; keep it elsewhere and pass
    it to --since-checkpoint later).  Exits 1 and lists every mismatch if
    anything does not check out.

    \b
      provenance verify                    # the whole store; prints a checkpoint
      provenance verify --since-checkpoint 1a2b3c4d5e6f   # and that it only grew since
      provenance verify --signatures --json   # git's verdict on each signed commit
    """
    from . import evidence

    with _open_store(ctx, store_path) as store:
        report = store.verify(doc_id)
        tip = store.objects.tip()
        problems = evidence.check_checkpoints(store, tip) + evidence.check_reflog(store, tip)
        problems += evidence.check_trailers(store, tip)
        grown = None
        if since is not None:
            base = evidence.find_checkpoint(store, since)
            if tip is not None and evidence.history_contains(store, base, tip):
                grown = len(evidence._ingests_between(store, tip, base))
            else:
                problems.extend(evidence._lost(store, base, tip, f"checkpoint {since}"))
        cps = evidence.checkpoints(store)
        sigs = evidence.signature_status(store, tip, cps, commits=signatures)
        problems += sigs["bad"]
        report.problems.extend(dict.fromkeys(p for p in problems if p not in report.problems))
        checkpoint = None
        if report.ok and doc_id is None and tip is not None:
            known = [c for c in cps if c.commit == tip and (c.signed or not sign)]
            checkpoint = known[-1] if known else evidence.record_checkpoint(
                store, tip, versions=report.versions_checked, sign=sign)
    if as_json:
        data = report.to_dict()
        data["checkpoint"] = checkpoint.to_dict() if checkpoint else None
        data["checkpoints"] = len(cps)
        data["signatures"] = {k: v for k, v in sigs.items() if k != "bad"}  # (the bad are in problems)
        if since is not None:
            data["since_checkpoint"] = {"checkpoint": since, "only_grew": grown is not None, "versions_added": grown}
        _dump(data)
    else:
        click.echo(f"checked {report.versions_checked} versions in {report.commits_checked} commits; "
                   f"git fsck {'ok' if report.fsck_ok else 'FAILED'}")
        for problem in report.problems:
            click.echo(f"MISMATCH {problem}")
        for note in report.notes:
            click.echo(f"note: {note}")
        for s in sigs.get("commits", []):
            click.echo(f"signature {s['status']}: {s['subject']} (commit {s['commit'][:12]})"
                       + (f", key {s['key']}" if s["key"] else "") + (f", {s['signer']}" if s["signer"] else ""))
        if "commit_counts" in sigs:
            click.echo("signatures of commits: " + ", ".join(f"{n} {k}" for k, n in sigs["commit_counts"].items()))
        if sigs["checkpoints_signed"]:
            click.echo(f"signatures: {sigs['checkpoints_good']}/{sigs['checkpoints_signed']} signed checkpoints good")
        if grown is not None:
            click.echo(f"since checkpoint {since}: the store only grew ({grown} versions added)")
        click.echo("all hashes match" if report.ok else f"{len(report.problems)} problem(s) found")
        if checkpoint is not None:
            click.echo(f"checkpoint {checkpoint.commit} {checkpoint.date}")
    if not report.ok:
        ctx.exit(1)


# Whether the process must end the usual way.  A diff leaves millions of
# small objects behind; freeing them one by one as the interpreter shuts down
# takes 25 ms of a 0.43 s diff of 4 MB, and once its output is written there
# is nothing else to do, so `diff` clears this and main() ends at once.
_teardown_needed = True


@cli.command()
@click.argument("doc_ids", nargs=-1, metavar="[ID]...", shell_complete=_complete_ref)
@click.option("-o", "--output", type=click.Path(file_okay=False), required=True, help="The site's folder.")
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
@_view_option
@_store_option
@click.pass_context
def report(ctx, doc_ids, output, as_json, view, store_path):
    """Write a static site of the store's documents (or of ID...) to a folder.

    \b
      provenance report -o site/            # every document
      provenance report acme/terms -o site/ # one; open site/index.html

    An index of documents (filterable), per document a timeline of its
    versions, their texts, raw snapshots and metadata with hashes and commit
    ids, a diff page per pair of versions and a picker.  It opens from the
    file system.  Run again on a grown store, only what changed is written.
    """
    from .site import write_site

    with _open_store(ctx, store_path) as store:
        result = write_site(store, output, list(doc_ids) or None, view=view)
    if as_json:
        _dump(result.to_dict())
        return
    click.echo(f"site of {result.documents} document(s) at {os.path.realpath(os.path.join(output, 'index.html'))}  "
               f"({len(result.written)} files written, {result.unchanged} unchanged)")


@cli.command()
@click.argument("doc_id", shell_complete=_complete_ref)
@click.option("--prov", "prov_path", type=click.Path(dir_okay=False), help="Write W3C PROV of the history to FILE.")
@click.option("--prov-format", type=click.Choice(["json", "provn"]), default="json", show_default=True,
              help="PROV-JSON or PROV-N.")
@click.option("--bagit", "bag_path", type=click.Path(file_okay=False),
              help="Write a BagIt bag (SHA-256 manifests) of every version to DIR (new or empty).")
@click.option("--json", "as_json", is_flag=True, help="Print the whole history (versions, extractions) as JSON.")
@_store_option
@click.pass_context
def export(ctx, doc_id, prov_path, prov_format, bag_path, as_json, store_path):
    """Hand a document's history to other systems: W3C PROV, BagIt, JSON.

    \b
      provenance export acme/terms --prov terms.prov.json
      provenance export acme/terms --bagit terms-bag/   # validates with bagit
      provenance export acme/terms --json > terms.json
    """
    from . import export as exporter

    if not (prov_path or bag_path or as_json):
        raise click.UsageError("say what to export: --prov FILE, --bagit DIR or --json")
    with _open_store(ctx, store_path) as store:
        if as_json:
            _dump(exporter.history(store, doc_id))
        if prov_path:
            exporter.write_prov(store, doc_id, prov_path, prov_format)
            click.echo(f"PROV ({prov_format}) written to {os.path.realpath(prov_path)}", err=as_json)
        if bag_path:
            bag = exporter.write_bag(store, doc_id, bag_path)
            click.echo(f"BagIt bag written to {bag.resolve()}", err=as_json)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print what was fixed and what is left as JSON.")
@_store_option
@click.pass_context
def doctor(ctx, as_json, store_path):
    """Repair what a crash can leave behind, safely, and say what is left.

    \b
      provenance doctor
      provenance --store /data/evidence doctor --json

    Removes ref locks no live provenance writer holds, takes over a
    maintenance lock whose owner is gone, removes incoming refs and
    temporary packs of killed writers (once an hour old), rebuilds stale
    caches, then verifies.  Never touches a version, a commit or main;
    every removal is logged in the store's provenance-repairs.log.
    """
    with _open_store(ctx, store_path) as store:
        result = store.doctor()
    if as_json:
        _dump(result)
    else:
        for path in result["fixed"]:
            click.echo(f"fixed: removed {path}")
        for note in result["caches_rebuilt"]:
            click.echo(f"fixed: {note}")
        for path in result["left"]:
            click.echo(f"left: {path} ({result['why_left']})")
        for problem in result["problems"]:
            click.echo(f"MISMATCH {problem}")
        click.echo("store verified" if result["verify_ok"] else "verify found problems: see `provenance verify`")
    if not result["verify_ok"]:
        ctx.exit(1)


# --- `provenance open` (viewing reports block) ---------------------------------

@cli.command("open")
@click.argument("ref", metavar="ID[@N]", shell_complete=_complete_ref)
@click.argument("other", required=False, shell_complete=_complete_ref_or_file)
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write the report here (default: a file in the temporary directory, named after the pair).")
@_view_option
@click.option("--full/--changes-only", "full", default=None,
              help="Include the text of folded unchanged stretches (default: only for documents up to 1 MB).")
@_store_option
@click.pass_context
def open_report(ctx, ref, other, output, view, full, store_path):
    """Write the HTML diff report of a version and open it in the default browser.

    \b
      provenance open acme/terms           # the latest version against the one before
      provenance open acme/terms@3 acme/terms@7 --view side-by-side

    With one version, ID@N is compared with version N-1; with OTHER (a
    version or a file), ID@N is the old side and OTHER the new.  The browser
    is Python's default ($BROWSER if set).  Tab completes document ids and,
    after ID@, their versions (see the README for setting up completion).
    """
    from pathlib import Path

    from . import render
    from .browse import default_pair, report_file
    from .diff import compare

    stores: dict = {}
    try:
        if other is None:
            if "store" not in stores:
                stores["store"] = _open_store(ctx, store_path)
            old, new = default_pair(stores["store"], ref)
        else:
            old, new = ref, other
        old_side = _load_side(ctx, old, store_path, stores)
        new_side = _load_side(ctx, new, store_path, stores)
    finally:
        for store in stores.values():
            store.close()
    cmp = compare(old_side, new_side)
    path = Path(output) if output else report_file(old, new)
    _write_report(str(path), [render.render_html(cmp, full=full, view=view)])
    s = cmp.stats
    click.echo(f"{old} -> {new}: {s['content_changes']} content, {s['formatting_changes']} formatting changes")
    _show_report(path.resolve())


def main() -> None:
    """The `provenance` command."""
    try:
        cli()
    except SystemExit as done:
        if _teardown_needed:
            raise
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except BrokenPipeError:  # output piped into `head`: not an error
            code = 0
        os._exit(code)


if __name__ == "__main__":
    main()
