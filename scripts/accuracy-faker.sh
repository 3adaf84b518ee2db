#!/usr/bin/env bash
# Precision and recall of the scanner on Faker zh_CN values (issue 13):
# names, addresses, mobiles, resident IDs (Faker's ssn), e-mails, licence
# plates, MAC and IP addresses, coordinates, birth dates and card numbers,
# plus negatives (company names, job titles, sentences, words, product-like
# strings, cities, provinces, barcodes, ISBNs, UUIDs, VINs, timestamps,
# prices), all synthetic. Figures in docs/ACCURACY.md.
#
#   scripts/accuracy-faker.sh [N] [SEED]      (defaults 2000 and 42)
#
# Makes target/py-venv with Faker from PyPI if missing, writes
# target/faker/labelled.tsv (not committed) and prints Markdown tables.
# FAKER_VERSION pins Faker (default: the version the figures were taken with).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/py-venv.sh
labelled_accuracy Faker "${FAKER_VERSION:-40.63.0}" scripts/faker_labelled.py target/faker "${1:-2000}" "${2:-42}"
