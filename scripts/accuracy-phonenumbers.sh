#!/usr/bin/env bash
# Precision and recall of the scanner's PRC landline and mobile detectors
# against libphonenumber's numbering plan (issue 13): random digits in the
# shapes people write, labelled by the `phonenumbers` package from PyPI
# (scripts/phonenumbers_labelled.py), scored by the example that scores
# Faker's values. Figures in docs/ACCURACY.md.
#
#   scripts/accuracy-phonenumbers.sh [N] [SEED]      (defaults 2000 and 42)
#
# Makes target/py-venv if missing, writes target/phone/labelled.tsv (not
# committed) and prints Markdown tables. PHONENUMBERS_VERSION pins the
# package (default: the version the figures were taken with).
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-2000}"
SEED="${2:-42}"
PHONENUMBERS_VERSION="${PHONENUMBERS_VERSION:-9.0.43}"
. scripts/py-venv.sh
py_venv_pin phonenumbers "$PHONENUMBERS_VERSION"
mkdir -p target/phone
"$VENV/bin/python" scripts/phonenumbers_labelled.py "$N" "$SEED" target/phone/labelled.tsv
cargo run -q --release -p outbound-scan --example accuracy_faker -- target/phone/labelled.tsv
