"""Build the shipped originals of the sample article from its two texts.

    python docs/samples/build.py        # writes article.pdf and article.html here

article.pdf is the print edition: the text of article-pdf-extract.txt (its
capitals headline, straight quotes) typeset by reportlab as a justified
A4 PDF with words hyphenated at line ends, a running head on pages 2 on and
"Page N of M" footers.  article.html is the web edition: the text of
article-web-capture.txt (curly quotes, the stray "banner" label the capture
had instead of the headline) in a news page with navigation, a cookie
banner, a sidebar, a footer and scripts.  Both are deterministic (seeded,
reportlab's invariant mode), so rebuilding gives the same bytes.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent / "benchmarks"))

import renditions  # noqa: E402


def paragraphs(path: Path) -> list[list[str]]:
    return [p.split() for p in path.read_text(encoding="utf-8").split("\n\n") if p.strip()]


def main() -> None:
    print_edition = paragraphs(HERE / "article-pdf-extract.txt")
    headline, body = " ".join(print_edition[0]), print_edition[1:]
    pdf = renditions.to_pdf(body, random.Random(2019), headline, running_head="AL-MONITOR  |  February 2019")
    (HERE / "article.pdf").write_bytes(pdf)
    web = paragraphs(HERE / "article-web-capture.txt")
    page = renditions.to_html(web, random.Random(2019), "Tehran, Moscow differ on Syria, but share interests elsewhere",
                              url="https://www.al-monitor.com/originals/2019/02/russia-iran-syria-israel.html",
                              published="2019-02-04", headline=False)
    (HERE / "article.html").write_bytes(page)
    print(f"wrote {HERE / 'article.pdf'} ({len(pdf):,} bytes) and {HERE / 'article.html'} ({len(page):,} bytes)")


if __name__ == "__main__":
    main()
