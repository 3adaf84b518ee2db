#!/usr/bin/env bash
# The dashboard in a real browser and the API against its OpenAPI document,
# on a live server over the demo's store (scripts/test.sh runs this).
#
#   1. builds `outbound`, makes the demo store, one account per role (with a
#      password) and an API token for the admin;
#   2. starts `outbound serve` on a free loopback port;
#   3. scripts/web/browser_test.py: Debian's chromium driven by playwright signs
#      in as each role and walks the pages, screenshots in target/screenshots/;
#   4. schemathesis (a tool nobody here wrote) against /api/v1/openapi.json:
#      no 5xx, every response matches its schema and its documented status.
#
# Python tools live in target/web-venv (pinned in scripts/web/requirements.txt).
# Needs /usr/bin/chromium (Debian's `chromium`; scripts/test.sh installs it).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
started=$SECONDS

[ -x /usr/bin/chromium ] || {
  echo "web-test: /usr/bin/chromium is missing (apt-get install chromium)" >&2
  exit 2
}

echo "== web-test: cargo build -p outbound-cli"
cargo build -q -p outbound-cli
bin=$root/target/debug/outbound

venv=$root/target/web-venv
req=$root/scripts/web/requirements.txt
if ! cmp -s "$req" "$venv/requirements.txt" 2>/dev/null; then
  echo "== web-test: Python tools into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q -r "$req"
  cp "$req" "$venv/requirements.txt"
fi

tmp=$(mktemp -d)
server=
cleanup() {
  if [ -n "$server" ]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

echo "== web-test: demo store"
"$bin" demo --dir "$tmp/demo" --as-of 2026-11-23 >"$tmp/demo.log" 2>&1 || {
  cat "$tmp/demo.log" >&2
  exit 1
}
store=$tmp/demo/store.db

# One account per role, each with its own random password; the recipient
# account speaks for lumen-inc.
export WEB_PASSWORD_FILE=$tmp/passwords
: >"$WEB_PASSWORD_FILE"
for role in admin compliance engineer auditor recipient regulator association; do
  pw=$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')
  extra=()
  [ "$role" = recipient ] && extra=(--recipient lumen-inc)
  printf '%s\n' "$pw" |
    "$bin" user add "web-$role" --role "$role" "${extra[@]}" --password-stdin --store "$store" >/dev/null
  printf '%s %s %s\n' "$role" "web-$role" "$pw" >>"$WEB_PASSWORD_FILE"
done
WEB_ADMIN_TOKEN=$("$bin" token create web-admin --store "$store")
export WEB_ADMIN_TOKEN

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export WEB_BASE=http://127.0.0.1:$port
# One database /scans may scan, the example's system `shop-crm`: an SQLite
# file the browser test writes before it scans it (opened only when a scan
# starts).
export WEB_SCAN_DB=$tmp/shop-crm.db
printf '[[source]]\nid = "shop-crm"\nurl = "sqlite:%s"\n' "$WEB_SCAN_DB" >"$tmp/sources.toml"
chmod 600 "$tmp/sources.toml"
"$bin" serve --map examples/lumen --store "$store" --addr "127.0.0.1:$port" --as-of 2026-11-23 \
  --scan-sources "$tmp/sources.toml" >"$tmp/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
  curl -fsS -o /dev/null "$WEB_BASE/login" 2>/dev/null && break
  kill -0 "$server" 2>/dev/null || {
    cat "$tmp/serve.log" >&2
    exit 1
  }
  sleep 0.1
done
echo "== web-test: server on $WEB_BASE (pid $server)"

fail=0
shots=$root/target/screenshots
rm -rf "$shots"
mkdir -p "$shots"
echo "== web-test: browser (chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}'))"
WEB_SHOTS=$shots "$venv/bin/python" scripts/web/browser_test.py || fail=1

# Bounded: 20 cases per operation and 75 s in all. Under CI the seed is fixed
# (as for the property tests) so a failure reproduces.
echo "== web-test: schemathesis"
seed=()
[ -n "${CI:-}" ] && seed=(--seed 20261123)
timeout 150 "$venv/bin/schemathesis" run "$WEB_BASE/api/v1/openapi.json" \
  -H "Authorization: Bearer $WEB_ADMIN_TOKEN" \
  --checks not_a_server_error,response_schema_conformance,status_code_conformance \
  --max-examples 20 --max-time 75 --request-timeout 10 "${seed[@]}" \
  --report junit --report-dir "$root/target/schemathesis" || fail=1

if [ $fail -ne 0 ]; then
  echo "web-test: FAILED (server log: below)" >&2
  tail -n 50 "$tmp/serve.log" >&2
  exit 1
fi
echo "== web-test: passed in $((SECONDS - started)) s (screenshots in target/screenshots/)"
