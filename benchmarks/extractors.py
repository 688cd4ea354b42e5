"""Benchmark text extractors for provenance: PDF (pypdfium2, pypdf, pdfminer.six) and
HTML main content (trafilatura, readability-lxml, provenance's own selectolax walk).

    python benchmarks/extractors.py --corpus CORPUS [--docs 8] [--runs 3] [--seed 1]

Needs the candidates installed beside provenance (pip install pypdf pdfminer.six
readability-lxml); CORPUS is made by benchmarks/extractors_corpus.py.

CORPUS/pdf/*.pdf        real PDFs (no known text: speed, junk and hyphenation only)
CORPUS/html/            HTML pages + evaldata.json ({"pages": {url: {"file", "with", "without"}}})
                        e.g. a sample of trafilatura's tests/evaldata.json + tests/cache|eval pages.
Synthetic PDFs are generated with reportlab into a temporary folder; their true text is known.
Prints plain-text tables; nothing is tuned per extractor.
"""
import argparse, difflib, functools, json, os, random, re, statistics, sys, tempfile, time, unicodedata
from collections import Counter

# ---------------------------------------------------------------- synthetic PDFs
COMMON = ("the of and to in is that for it as with was on be by this are from at or which an have not "
          "but all were can has more one other their there been would into time only new some could "
          "these two may first then do any like our over such between after under through during "
          "measure record change version document editor review branch signal account report").split()
LIGATURE = ("office official efficient affluent afflict fluffy stiffly different traffic baffled "
            "offer suffix fifteen final flower profile flight affirm influence fjord").split()
LONG = ("reproducibility transformation implementation characterisation responsibility approximately "
        "international establishment configuration interpretation acknowledgement environmental").split()
PROPER = "London NASA Unicode Marseille IEEE Kyoto Ottawa UNESCO Python Zurich".split()
LIGS = [("ffi", "\ufb03"), ("ffl", "\ufb04"), ("ff", "\ufb00"), ("fi", "\ufb01"), ("fl", "\ufb02")]
HYPHENS = "-\u00ad\u2010\x02\ufffe"                       # what extractors emit for a line-end hyphen
TTF = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"   # embedded-font variant (if present)


def sentence(rng):
    """A sentence with common, ligature-prone, long and capitalised words and numbers."""
    words = []
    for _ in range(rng.randint(6, 18)):
        r = rng.random()
        words.append(rng.choice(LIGATURE) if r < .15 else rng.choice(LONG) if r < .27 else
                     rng.choice(PROPER) if r < .34 else str(rng.choice([rng.randint(0, 99), rng.randint(1900, 2030)]))
                     if r < .40 else rng.choice(COMMON))
    words[0] = words[0][:1].upper() + words[0][1:]
    return " ".join(words) + "."


def make_blocks(rng, n_words):
    """[(prefix, [words])]: paragraphs (prefix "") and list items ("\u2022" or "3.")."""
    blocks, count = [], 0
    while count < n_words:
        if rng.random() < .2:                   # a list of 2-5 items
            numbered = rng.random() < .5
            for i in range(rng.randint(2, 5)):
                words = sentence(rng).split()[:rng.randint(3, 10)]
                blocks.append((f"{i + 1}." if numbered else "\u2022", words))
                count += len(words)
        else:
            words = " ".join(sentence(rng) for _ in range(rng.randint(2, 6))).split()
            blocks.append(("", words))
            count += len(words)
    return blocks


def layout(blocks, rng, font, size, width_of, page_w=612, page_h=792, margin=72):
    """Greedy justified line breaking with hyphenation.
    -> (pages of (x, y, words, extra word gap) lines, hyphenated count, body line count)."""
    lead, pages, hyphenated, lines = size * 1.3, [], 0, 0
    bi, wi, carry = 0, 0, None                  # block index, word index, hyphen remainder
    while bi < len(blocks):
        ncols = 2 if rng.random() < .4 else 1   # about 40% of pages are two-column
        gap = 24
        col_w = (page_w - 2 * margin - (ncols - 1) * gap) / ncols
        draws = []
        for col in range(ncols):
            x0, y = margin + col * (col_w + gap), page_h - margin - 10
            while bi < len(blocks) and y > margin + 10:
                prefix, words = blocks[bi]
                indent = 18 if prefix else 0
                if prefix and wi == 0 and carry is None:
                    draws.append((x0, y, [prefix], 0))
                line, w, space = [], 0, width_of(" ")
                last_line_of_col = y - lead <= margin + 10
                while wi < len(words) or carry:
                    word = carry or words[wi]
                    need = width_of(word) + (space if line else 0)
                    if w + need <= col_w - indent:
                        line.append(word); w += need; carry = None; wi += 1
                        continue
                    # hyphenate long alphabetic words (never on a column's last line)
                    if word.isalpha() and len(word) >= 7 and not last_line_of_col:
                        for k in range(len(word) - 3, 2, -1):
                            head = word[:k] + "-"
                            if w + width_of(head) + (space if line else 0) <= col_w - indent:
                                line.append(head); carry = word[k:]; hyphenated += 1
                                break
                    break
                done = wi >= len(words) and not carry
                if line:                        # justify every line but a block's last
                    gaps = len(line) - 1
                    extra = 0 if done or gaps == 0 else (col_w - indent - w) / gaps
                    draws.append((x0 + indent, y, line, extra)); lines += 1
                y -= lead
                if done:
                    bi, wi = bi + 1, 0; y -= lead * .5
        pages.append(draws)
    return pages, hyphenated, lines


def ligate(word):
    return functools.reduce(lambda w, pl: w.replace(*pl), LIGS, word)


def generate_pdf(path, seed, n_words=2400):
    """Write a synthetic PDF; return its truth (body words in reading order and page furniture)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfgen import canvas
    rng = random.Random(seed)
    font, size, embedded = "Helvetica", 10, seed % 2 == 1 and os.path.exists(TTF)
    if embedded:                                # odd seeds: embedded TrueType with real ligature glyphs
        from reportlab.pdfbase.ttfonts import TTFont
        pdfmetrics.registerFont(TTFont("DejaVuSerif", TTF)); font = "DejaVuSerif"
    blocks = make_blocks(rng, n_words)
    width_of = lambda s: pdfmetrics.stringWidth(ligate(s) if embedded else s, font, size)
    pages, hyphenated, lines = layout(blocks, rng, font, size, width_of)
    per_word = seed % 4 < 2                     # seeds 0,1 mod 4: one text object per word (as many
    # PDF producers do); seeds 2,3 mod 4: one text object per line, justified with word spacing (Tw)
    title, chapter = f"Synthetic Report {seed}", rng.randint(1, 12)
    c = canvas.Canvas(path, pagesize=(612, 792))
    furniture = []
    for n, draws in enumerate(pages, 1):
        header, footer = f"{title} \u2014 Chapter {chapter}", f"Page {n} of {len(pages)}"
        furniture.append((header, footer))
        c.setFont(font, 8); c.drawString(72, 750, header); c.drawCentredString(306, 40, footer)
        c.setFont(font, size)
        for x, y, words, extra in draws:
            if per_word:
                for w in words:
                    c.drawString(x, y, ligate(w) if embedded else w); x += width_of(w + " ") + extra
            else:
                t = c.beginText(x, y); t.setFont(font, size); t.setWordSpace(extra)
                t.textOut(" ".join(ligate(w) if embedded else w for w in words)); c.drawText(t)
        c.showPage()
    c.save()
    truth = [w for _, words in blocks for w in " ".join(words).split()]
    return {"words": words_of(" ".join(truth)), "furniture": furniture, "pages": len(pages),
            "hyphenated": hyphenated, "lines": lines + 2 * len(pages),
            "font": ("TTF+ligs" if embedded else "Helvetica") + (", word objs" if per_word else ", line+Tw")}


# ---------------------------------------------------------------- PDF extractors (one string per page)
def pdf_pypdfium2(path):
    import pypdfium2 as pdfium
    pdf, out = pdfium.PdfDocument(path), []
    for page in pdf:
        tp = page.get_textpage(); out.append(tp.get_text_range()); tp.close(); page.close()
    pdf.close()
    return out


def pdf_pypdf(path):
    from pypdf import PdfReader
    return [page.extract_text() for page in PdfReader(path).pages]


def pdf_pdfminer(path):
    from pdfminer.high_level import extract_text
    from pdfminer.pdfpage import PDFPage
    with open(path, "rb") as f:
        n = sum(1 for _ in PDFPage.get_pages(f))
    return [extract_text(path, page_numbers=[i]) for i in range(n)]


PDF_EXTRACTORS = {"pypdfium2": pdf_pypdfium2, "pypdf": pdf_pypdf, "pdfminer.six": pdf_pdfminer}


# ---------------------------------------------------------------- PDF measures
def words_of(text):
    return re.findall(r"\w+", unicodedata.normalize("NFKC", text))


def join_hyphens(text, vocab):
    """Join 'xx-\\nyy' (any hyphen-like mark) when the joined word is a true word."""
    def fix(m):
        joined = m.group(1) + m.group(2)
        return joined if joined in vocab else m.group(0)
    # a plain hyphen needs a line break after it; pdfium's line-end-hyphen markers do not
    return re.sub(r"(\w+)(?:[-\u00ad\u2010][ \t]*\r?\n\s*|[\x02\ufffe]\s*)(\w+)", fix, text)


def split_left(text, vocab):
    """Words left broken at a line end: 'xx-<newline>yy' (or 'xx- yy') whose join is a true word."""
    return sum(1 for a, b in re.findall(rf"(\w+)[{HYPHENS}]\s+(\w+)", text) if a + b in vocab)


def junk(text):
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\t\f\r")
    return controls + text.count("(cid:") + text.count("\ufffe") + text.count("\ufffd")


def ligatures_left(text):
    return sum(1 for ch in text if "\ufb00" <= ch <= "\ufb06")


def score_pdf(pages_text, truth):
    raw = "\n".join(pages_text)
    vocab = set(truth["words"])
    got = words_of(join_hyphens(raw, vocab))
    common = sum((Counter(got) & Counter(truth["words"])).values())
    flat = lambda s: " ".join(s.split())
    per_page = [flat(t) for t in pages_text]
    furn = sum((flat(h) in p) + (flat(f) in p) for p, (h, f) in zip(per_page, truth["furniture"]))
    return {"recall": common / max(1, len(truth["words"])), "precision": common / max(1, len(got)),
            "split": split_left(raw, vocab), "junk": junk(raw), "lig": ligatures_left(raw),
            "order": difflib.SequenceMatcher(None, truth["words"], got, autojunk=False).ratio(),
            "furniture": furn / (2 * len(truth["furniture"])),
            "lines": sum(1 for ln in raw.splitlines() if ln.strip()) / truth["lines"]}


def timed(fn, arg, runs):
    """(median seconds over `runs`, result of the last run)."""
    times, result = [], None
    for _ in range(runs):
        t = time.perf_counter(); result = fn(arg); times.append(time.perf_counter() - t)
    return statistics.median(times), result


def bench_pdf(corpus, n_docs, runs, seed, tmp):
    rows, real_rows = [], []
    paths = [os.path.join(tmp, f"synthetic-{seed + i}.pdf") for i in range(n_docs)]
    docs = [(path, generate_pdf(path, seed + i)) for i, path in enumerate(paths)]
    notes = [f"{n_docs} synthetic PDFs (seeds {seed}..{seed + n_docs - 1}), {sum(t['pages'] for _, t in docs)} pages, "
             f"{sum(len(t['words']) for _, t in docs)} true words, {sum(t['hyphenated'] for _, t in docs)} hyphenated "
             f"at line ends; variants: {dict(Counter(t['font'] for _, t in docs))}"]
    for name, fn in PDF_EXTRACTORS.items():
        for font in sorted({t["font"] for _, t in docs}):
            sel = [(p, t) for p, t in docs if t["font"] == font]
            secs, scores, fails = 0.0, [], 0
            for path, truth in sel:
                try:
                    s, pages_text = timed(fn, path, runs)
                except Exception as exc:  # an extractor crash is a result, not a stop
                    fails += 1; notes.append(f"{name} failed on {os.path.basename(path)}: {exc!r}"[:200]); continue
                secs += s; scores.append(score_pdf(pages_text, truth))
            pages = sum(t["pages"] for _, t in sel)
            avg = lambda k: statistics.mean(s[k] for s in scores) if scores else float("nan")
            tot = lambda k: sum(s[k] for s in scores)
            rows.append([name, font, f"{1000 * secs / pages:.1f}", f"{avg('recall'):.4f}", f"{avg('precision'):.4f}",
                         f"{tot('split')}/{sum(t['hyphenated'] for _, t in sel)}", tot("junk"), tot("lig"),
                         f"{avg('order'):.4f}", f"{avg('lines'):.2f}", f"{100 * avg('furniture'):.0f}%", fails])
    real = sorted(f for f in os.listdir(os.path.join(corpus, "pdf")) if f.lower().endswith(".pdf")) \
        if os.path.isdir(os.path.join(corpus, "pdf")) else []
    for f in real:
        path = os.path.join(corpus, "pdf", f)
        for name, fn in PDF_EXTRACTORS.items():
            try:
                s, pages_text = timed(fn, path, runs)
            except Exception as exc:
                real_rows.append([f, name, "fail", repr(exc)[:40], "", "", "", ""]); continue
            raw = "\n".join(pages_text)
            hyph = len(re.findall(rf"[^\W\d_][{HYPHENS}][ \t]*\r?\n\s*[^\W\d_]", raw))
            real_rows.append([f, name, len(pages_text), f"{1000 * s / max(1, len(pages_text)):.1f}",
                              len(raw) // max(1, len(pages_text)), junk(raw), ligatures_left(raw), hyph])
    return rows, real_rows, notes


# ---------------------------------------------------------------- HTML extractors (bytes -> text)
def html_extractors(provenance_path):
    import trafilatura
    import lxml.html
    from readability import Document

    def readability_text(data):
        root = lxml.html.fromstring(Document(data).summary())
        for el in root.iter(*"p div li tr td th h1 h2 h3 h4 h5 h6 br blockquote pre dd dt table".split()):
            el.tail = "\n" + (el.tail or "")      # keep block boundaries (lxml's text_content drops them)
        return root.text_content()

    t = trafilatura.extract
    ex = {"trafilatura default": t, "trafilatura favor_recall": lambda d: t(d, favor_recall=True),
          "trafilatura tables txt": lambda d: t(d, include_tables=True, output_format="txt"),
          "trafilatura tables markdown": lambda d: t(d, include_tables=True, output_format="markdown"),
          "readability-lxml": readability_text}
    sys.path.insert(0, provenance_path)
    for attempt in (1, 2):                      # the module may be mid-edit: retry once a minute later
        try:
            from provenance.extract.html import extract_html
            ex["provenance selectolax"] = lambda d: extract_html(d, "page").text
            break
        except Exception as exc:
            print(f"# provenance import failed (attempt {attempt}): {exc!r}", file=sys.stderr)
            if attempt == 1:
                time.sleep(60)
    return ex


# ---------------------------------------------------------------- HTML measures
TIGHT = 0.5
fold = lambda s: " ".join(s.split())
squash = lambda s: re.sub(r"[\s*`]+", "", s)     # for heading/list matching: no spaces, no md emphasis


def decode(data):
    """Plain decoding for the truth side: strict UTF-8, else the page's <meta charset>, else cp1252."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        m = re.search(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", data[:4096], re.I)
        try:
            text = data.decode(m.group(1).decode() if m else "cp1252", errors="replace")
        except LookupError:
            text = data.decode("cp1252", errors="replace")
    return re.sub(r"^\s*<\?xml[^>]*\?>", "", text)


def main_region_items(data, item):
    """Headings and list items of the main content, without trusting any extractor: the main content is
    the lowest common ancestor of the deepest elements holding each 'with' snippet.  None if fewer than
    two snippets can be located or the ancestor is <body>/<html> (no region to speak of)."""
    import lxml.html
    try:
        root = lxml.html.fromstring(decode(data))
    except Exception:
        return None
    for bad in root.iter("script", "style", "noscript", "template"):
        bad.drop_tree() if bad.getparent() is not None else None
    leaves = []
    for snippet in item["with"]:
        node, s = root, fold(snippet)
        if s not in fold(node.text_content()):
            continue
        while True:
            child = next((c for c in node if isinstance(c.tag, str) and s in fold(c.text_content())), None)
            if child is None:
                break
            node = child
        leaves.append(node)
    if len(leaves) < 2:
        return None
    chains = [list(reversed([n] + list(n.iterancestors()))) for n in leaves]
    lca = None
    for level in zip(*chains):
        if all(n is level[0] for n in level):
            lca = level[0]
        else:
            break
    if lca is None or lca.tag in ("body", "html"):
        return None
    without = [squash(w) for w in item["without"]]
    keep = lambda t: len(t) >= 3 and not any(w in t or t in w for w in without)
    heads = [squash(h.text_content())[:60] for h in lca.iter("h1", "h2", "h3", "h4", "h5", "h6")]
    lis = [squash(li.text_content())[:60] for li in lca.iter("li") if not li.findall(".//li")]
    share = len(squash(lca.text_content())) / max(1, len(squash(root.text_content())))
    return [h for h in heads if keep(h)], [t for t in lis if keep(t)], share


def bench_html(corpus, provenance_path):
    base = os.path.join(corpus, "html")
    with open(os.path.join(base, "evaldata.json"), encoding="utf-8") as f:
        meta = json.load(f)
    pages = meta["pages"]
    docs = {url: open(os.path.join(base, it["file"]), "rb").read() for url, it in pages.items()}
    regions = {url: main_region_items(docs[url], it) for url, it in pages.items()}
    labels_path = os.path.join(base, "furniture_labels.json")   # optional hand labels (see its _note)
    labels = json.load(open(labels_path, encoding="utf-8")) if os.path.exists(labels_path) else {}
    truth = {}                                  # url -> {"all": (heads, lis), "tight": (heads, lis)}
    for url, r in regions.items():
        if r:
            bad = set(labels.get(pages[url]["file"], []))
            truth[url] = {"all": r[:2]}
            if r[2] <= TIGHT:
                truth[url]["tight"] = tuple([x for x in items if x not in bad] for items in r[:2])
    n_labelled = sum(len(t["all"][0] + t["all"][1]) - len(t["tight"][0] + t["tight"][1])
                     for t in truth.values() if "tight" in t)
    extractors = html_extractors(provenance_path)
    rows, outputs = [], {}
    for name, fn in extractors.items():
        w_found = w_total = wo_found = wo_total = fails = 0
        hl = Counter()                          # heading/list found/total, all regions and tight ones
        ms, outputs[name] = [], {}
        for url, item in pages.items():
            t = time.perf_counter()
            try:
                text = fn(docs[url]) or ""
            except Exception as exc:
                text = ""; print(f"# {name} failed on {item['file']}: {exc!r}"[:200], file=sys.stderr)
            ms.append(1000 * (time.perf_counter() - t))
            outputs[name][url] = text
            fails += not text.strip()
            flat = fold(text.replace("*", "").replace("`", "")) if "markdown" in name else fold(text)
            w_found += sum(fold(w) in flat for w in item["with"]); w_total += len(item["with"])
            wo_found += sum(fold(w) in flat for w in item["without"]); wo_total += len(item["without"])
            sq = squash(text)
            for scope, (heads, lis) in truth.get(url, {}).items():
                hl[scope, "hf"] += sum(h in sq for h in heads); hl[scope, "ht"] += len(heads)
                hl[scope, "lf"] += sum(li in sq for li in lis); hl[scope, "lt"] += len(lis)
        rows.append([name, f"{100 * w_found / w_total:.1f}%", f"{100 * wo_found / wo_total:.1f}%",
                     *(f"{hl[s, f]}/{hl[s, t]}" for s in ("tight", "all") for f, t in (("hf", "ht"), ("lf", "lt"))),
                     f"{statistics.median(ms):.1f}", fails])
    same = sum(outputs["trafilatura default"][u] == outputs["trafilatura tables txt"][u] for u in pages)
    n_reg, n_tight = len(truth), sum("tight" in t for t in truth.values())
    notes = [f"{len(pages)} pages from {meta.get('source', '?')} (sample seed {meta.get('seed', '?')}); "
             f"{sum(len(i['with']) for i in pages.values())} 'with' and "
             f"{sum(len(i['without']) for i in pages.values())} 'without' snippets",
             f"heading/list truth: main-content region = lowest common ancestor of the 'with' snippets; located "
             f"on {n_reg} pages ('all'); 'tight' = the {n_tight} of them whose region holds <= {TIGHT:.0%} of "
             f"the page's text (big regions may include navigation lists and sidebar headings); 'tight' "
             f"excludes {n_labelled} items hand-labelled as furniture in furniture_labels.json",
             f"'trafilatura tables txt' output identical to default on {same}/{len(pages)} pages "
             f"(include_tables=True is trafilatura's default)"]
    return rows, notes


# ---------------------------------------------------------------- output
def table(headers, rows):
    cells = [headers] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    line = lambda r: "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
    return "\n".join([line(headers), "  ".join("-" * w for w in widths)] + [line(r) for r in cells[1:]])


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", required=True, help="folder with pdf/ and html/ (see module docstring)")
    ap.add_argument("--docs", type=int, default=8, help="synthetic PDFs to generate")
    ap.add_argument("--runs", type=int, default=3, help="timing runs per PDF (median reported)")
    ap.add_argument("--seed", type=int, default=1, help="first synthetic PDF seed")
    ap.add_argument("--provenance-path", default=os.path.dirname(here), help="folder holding the provenance package")
    ap.add_argument("--skip", choices=["pdf", "html"], action="append", default=[])
    args = ap.parse_args()
    from importlib.metadata import version
    print("# versions: " + ", ".join(f"{d} {version(d)}" for d in ("pypdfium2", "pypdf", "pdfminer.six", "trafilatura",
          "readability-lxml", "selectolax", "lxml", "reportlab")) + f"; python {sys.version.split()[0]}")
    if "pdf" not in args.skip:
        with tempfile.TemporaryDirectory() as tmp:
            rows, real_rows, notes = bench_pdf(args.corpus, args.docs, args.runs, args.seed, tmp)
        print("\nA. PDF, synthetic (known text). ms/page = median of runs; recall/precision = word multiset "
              "(NFKC, line-end hyphens joined);\n   split = hyphenated words left broken / words hyphenated; "
              "junk = control chars, (cid:, U+FFFE, U+FFFD;\n   lig = ligature code points left; order = difflib "
              "ratio of word sequences;\n   lines = non-empty output lines / true lines; hdr/ftr = share of page headers+footers present\n")
        print(table(["extractor", "pdf variant", "ms/page", "recall", "precision", "split", "junk", "lig", "order",
                     "lines", "hdr/ftr", "fail"], rows))
        print("\n" + "\n".join("# " + n for n in notes))
        if real_rows:
            print("\nA2. PDF, real files in corpus/pdf (no known text). hyph-eol = letter, hyphen-like mark, "
                  "line break, letter\n")
            print(table(["file", "extractor", "pages", "ms/page", "chars/page", "junk", "lig", "hyph-eol"], real_rows))
    if "html" not in args.skip:
        rows, notes = bench_html(args.corpus, args.provenance_path)
        print("\nB. HTML main content. with = 'with' snippets found; without = 'without' snippets wrongly "
              "present;\n   headings/lists = main-content h1-h6 / li texts found; ms = median per page; "
              "fail = exception or empty output\n")
        print(table(["extractor", "", "with", "without", "heads tight", "lists tight", "heads all", "lists all",
                     "ms", "fail"],
                    [[r[0], ""] + r[1:] for r in rows]))
        print("\n" + "\n".join("# " + n for n in notes))


if __name__ == "__main__":
    main()
