"""Makes docs/side-by-side.png, the README's picture of the side-by-side view:
the sample pair (docs/samples) with a paragraph moved and a word changed, in
headless Chromium, quantised to 64 colours.

    python docs/screenshot.py
"""
import sys
from pathlib import Path
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from browser import LAUNCH_ARGS, find_chromium
from provenance.diff import Side, compare
from provenance.render import render_html
from playwright.sync_api import sync_playwright
S = ROOT / "docs" / "samples"
old = (S / "article-pdf-extract.txt").read_text(); new = (S / "article-web-capture.txt").read_text()
# the sample pair, plus a word changed and a paragraph moved, so the picture shows each kind
paras = new.split("\n\n")
paras[1] = paras[1].replace("two days", "three days")
new2 = "\n\n".join(paras[:3] + [paras[4], paras[3]] + paras[5:])
cmp = compare(Side(old, label="article.pdf (v1)"), Side(new2, label="article.html (v2)"))
import tempfile
p = Path(tempfile.mkdtemp()) / "side-by-side.html"; p.write_text(render_html(cmp, view="side-by-side"))
with sync_playwright() as pw:
    b = pw.chromium.launch(executable_path=find_chromium(), args=LAUNCH_ARGS)
    pg = b.new_page(viewport={"width": 1180, "height": 940})
    pg.goto(p.as_uri())
    pg.evaluate("() => document.querySelector('#sbs').scrollIntoView()")
    pg.evaluate("() => window.scrollBy(0, -60)")
    pg.hover("[data-change].move")
    shot = pg.screenshot()
    b.close()
import io

from PIL import Image

Image.open(io.BytesIO(shot)).convert("RGB").quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(
    ROOT / "docs" / "side-by-side.png", optimize=True)
