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
. scripts/py-venv.sh
labelled_accuracy phonenumbers "${PHONENUMBERS_VERSION:-9.0.43}" scripts/phonenumbers_labelled.py target/phone "${1:-2000}" "${2:-42}"
