#!/usr/bin/env bash
# Checks the published JSON Schema (`outbound schema`) with an independent
# validator, check-jsonschema from PyPI, against the bundled example map and
# the starter map that `outbound init` writes: what the loader accepts, an
# editor reading the schema must accept too. Exits non-zero on any error.
# (--all-features: the same build as scripts/test.sh, so nothing is rebuilt.)
set -euo pipefail
cd "$(dirname "$0")/.."

if ! python3 -m check_jsonschema --version >/dev/null 2>&1; then
  echo "== installing check-jsonschema from PyPI"
  python3 -m pip install --quiet check-jsonschema
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cargo run -q -p outbound-cli --all-features -- schema >"$tmp/schema.json"
cargo run -q -p outbound-cli --all-features -- init "$tmp/starter" >/dev/null

echo "== check-jsonschema: examples/lumen and the starter map against outbound schema"
# Through python3 -m: pip may install the command outside PATH (~/.local/bin).
python3 -m check_jsonschema --schemafile "$tmp/schema.json" \
  examples/lumen/*.yaml "$tmp/starter"/*.yaml
