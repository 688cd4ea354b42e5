"""One-off: copy a seeded random sample of trafilatura's evaluation pages into corpus/html/.

Usage: python benchmarks/extractors_corpus.py GIT_DIR_OF_TRAFILATURA [N] [SEED]
(GIT_DIR: a clone's .git, e.g. git clone --bare https://github.com/adbar/trafilatura;
 writes benchmarks/.data/extractors/html/, which git ignores; then
 python benchmarks/extractors.py --corpus benchmarks/.data/extractors)
Source: github:adbar/trafilatura tests/evaldata.json (+ tests/cache, tests/eval), Apache-2.0.
The sample is chosen blind (random.Random(SEED).shuffle over the sorted URLs), only
capped by total size (15 MB), never by how any extractor does on a page.
"""
import json, os, random, subprocess, sys

git = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 80
seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0
here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, ".data", "extractors", "html")
os.makedirs(out, exist_ok=True)
show = lambda spec: subprocess.run(["git", "--git-dir", git, "show", spec], capture_output=True, check=True).stdout
commit = subprocess.run(["git", "--git-dir", git, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
evaldata = json.loads(show("HEAD:tests/evaldata.json"))
listing = subprocess.run(["git", "--git-dir", git, "ls-tree", "-r", "-l", "HEAD", "tests/cache", "tests/eval"],
                         capture_output=True, text=True, check=True).stdout
sizes = {}
for row in listing.splitlines():
    meta, path = row.split("\t", 1)
    sizes.setdefault(os.path.basename(path), (path, int(meta.split()[3])))
urls = sorted(u for u in evaldata if evaldata[u]["file"] in sizes)
random.Random(seed).shuffle(urls)
chosen, total = {}, 0
for url in urls:
    path, size = sizes[evaldata[url]["file"]]
    if len(chosen) >= n:
        break
    if total + size > 14_500_000:
        continue
    with open(os.path.join(out, os.path.basename(path)), "wb") as f:
        f.write(show(f"HEAD:{path}"))
    chosen[url] = evaldata[url]
    total += size
with open(os.path.join(out, "evaldata.json"), "w", encoding="utf-8") as f:
    json.dump({"source": f"github:adbar/trafilatura@{commit} tests/evaldata.json", "seed": seed,
               "pages": chosen}, f, ensure_ascii=False, indent=1)
import shutil  # the hand labels of main-content furniture (see extractors.py)
shutil.copy(os.path.join(here, "extractors", "furniture_labels.json"), out)
print(f"{len(chosen)} pages, {total/1e6:.1f} MB from {len(urls)} candidates -> {out}")
