#!/usr/bin/env bash
# Load test of `outbound serve` on loopback, bounded in time: wrk (Debian's
# package) against a map of N generated transfers (default 10,000) on a
# SQLite store. Measures the transfers API (one transfer, all transfers), the
# overview page (signed in), and, as the baseline, the static stylesheet
# served by the same server. Prints a Markdown table for docs/PERFORMANCE.md.
#
#   scripts/load-test.sh [SECONDS_PER_ENDPOINT]      (default 10)
#
# Uses target/release/outbound (build it first:
# `cargo build --release -p outbound-cli --no-default-features`), or $OUTBOUND_BIN.
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-10}
n=${N:-10000}
bin=${OUTBOUND_BIN:-target/release/outbound}
[ -x "$bin" ] || { echo "no $bin; build it first" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }

tmp=$(mktemp -d)
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

cargo run -q -p outbound-model --example generated-map -- "$n" > "$tmp/map.yaml"
store="$tmp/store.db"
"$bin" store init --store "$store" >/dev/null 2>&1
echo "load-test-password" | "$bin" user add load --role auditor --password-stdin --store "$store" >/dev/null
token=$("$bin" token create load --store "$store")

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
"$bin" serve --map "$tmp/map.yaml" --store "$store" --addr "127.0.0.1:$port" --as-of 2026-11-23 2>"$tmp/serve.log" &
server=$!
for _ in $(seq 100); do curl -fs "$base/login" >/dev/null 2>&1 && break; sleep 0.1; done

# Sign in for the overview: the login form's CSRF cookie, then the form.
curl -s -c "$tmp/jar" "$base/login" >/dev/null
csrf=$(awk '$6=="outbound_login_csrf"{print $7}' "$tmp/jar")
curl -s -b "$tmp/jar" -c "$tmp/jar" -o /dev/null \
  --data-urlencode "csrf=$csrf" --data-urlencode "name=load" --data-urlencode "password=load-test-password" \
  "$base/login"
session=$(awk '$6=="outbound_session"{print $7}' "$tmp/jar")
[ -n "$session" ] || { echo "could not sign in" >&2; exit 1; }

auth="Authorization: Bearer $token"
cookie="Cookie: outbound_session=$session"
# Warm up: the first request builds the snapshot (assessment of every transfer).
start=$(date +%s%N)
curl -fs -H "$auth" "$base/api/v1/transfers/t1" >/dev/null
first_ms=$(( ($(date +%s%N) - start) / 1000000 ))
bytes_all=$(curl -fs -H "$auth" "$base/api/v1/transfers" | wc -c)
bytes_overview=$(curl -fs -H "$cookie" "$base/" | wc -c)

run() { # name header path
  local out
  out=$(wrk -t2 -c8 -d"${secs}s" --latency -H "$2" "$base$3")
  local rps p50 p99
  rps=$(awk '/Requests\/sec/{print $2}' <<<"$out")
  p50=$(awk '$1=="50%"{print $2}' <<<"$out")
  p99=$(awk '$1=="99%"{print $2}' <<<"$out")
  printf '| %s | `%s` | %s | %s | %s |\n' "$1" "$3" "$rps" "$p50" "$p99"
}

echo "machine: $(nproc) cores, $(awk -F: '/model name/{print $2; exit}' /proc/cpuinfo | xargs); wrk -t2 -c8 -d${secs}s on the same machine"
echo "map: $n transfers; first request (assessment of every transfer, then cached until the audit log grows): ${first_ms} ms"
echo "sizes: all transfers ${bytes_all} bytes, overview ${bytes_overview} bytes"
echo
echo "| what | path | requests/s | p50 | p99 |"
echo "|---|---|---|---|---|"
run "baseline: static stylesheet" "X-Load: 1" "/static/app.css"
run "API: one transfer" "$auth" "/api/v1/transfers/t1234"
run "API: a page of 100 transfers" "$auth" "/api/v1/transfers?limit=100&offset=5000"
run "API: all transfers" "$auth" "/api/v1/transfers"
run "API: status" "$auth" "/api/v1/status"
run "page: overview" "$cookie" "/"
