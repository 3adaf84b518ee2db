#!/usr/bin/env bash
# Outbound's audit log checked by software nobody here wrote: Go's
# golang.org/x/mod/sumdb/note and sumdb/tlog (Debian's golang-go and
# golang-golang-x-mod-dev, built offline in GOPATH mode) verify, over HTTP
# against a live `outbound serve`, the C2SP checkpoint's signature, the tree
# hash from the tiles, inclusion proofs of records from the entry bundles, and
# the consistency of a checkpoint saved before more entries were appended. A
# checkpoint with one byte of its root changed must be rejected.
# scripts/test.sh runs this; it fails on any mismatch.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
started=$SECONDS

need=()
command -v go >/dev/null 2>&1 || need+=(golang-go)
[ -d /usr/share/gocode/src/golang.org/x/mod/sumdb/tlog ] || need+=(golang-golang-x-mod-dev)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "== tlog-verify: installing ${need[*]} from Debian's packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "missing system packages: ${need[*]} (run as root, or: sudo apt-get install ${need[*]})" >&2
    exit 2
  fi
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

echo "== tlog-verify: go build scripts/tlog-verify (GOPATH mode, offline)"
GO111MODULE=off GOPATH=/usr/share/gocode GOPROXY=off GOFLAGS= \
  GOCACHE="$root/target/go-cache" go build -o "$tmp/tlog-verify" ./scripts/tlog-verify
verify=$tmp/tlog-verify

echo "== tlog-verify: cargo build -p outbound-cli"
cargo build -q -p outbound-cli
bin=$root/target/debug/outbound

"$bin" demo --dir "$tmp/demo" --as-of 2026-11-23 >"$tmp/demo.log" 2>&1 || {
  cat "$tmp/demo.log" >&2
  exit 1
}
export OUTBOUND_STORE=$tmp/demo/store.db
unset OUTBOUND_KEYS OUTBOUND_HASH_KEY OUTBOUND_SIGNING_KEY OUTBOUND_LOG_ORIGIN

# Audit entries, the cheap way: a route suspended and resumed, `n` times each.
add_entries() {
  local n=$1 i
  for ((i = 0; i < n; i++)); do
    "$bin" route suspend crm-to-parent --reason "drill $i" >/dev/null
    "$bin" route resume crm-to-parent --reason "drill $i over" >/dev/null
  done
}
size() { "$bin" audit checkpoint | sed -n 2p; }

add_entries 150
# Entry bundles need an account; the checkpoint and the hash tiles do not.
"$bin" user add tlog-verifier --role auditor >/dev/null
token=$("$bin" token create tlog-verifier)
key=$("$bin" audit verifier-key)
echo "== tlog-verify: $(size) entries; verifier key $key"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port
"$bin" serve --map examples/lumen --store "$OUTBOUND_STORE" --addr "127.0.0.1:$port" --as-of 2026-11-23 \
  >"$tmp/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do
  curl -fsS -o /dev/null "$base/log/checkpoint" 2>/dev/null && break
  kill -0 "$server" 2>/dev/null || {
    cat "$tmp/serve.log" >&2
    exit 1
  }
  sleep 0.1
done

echo "== tlog-verify: Go verifier against the first checkpoint (saved)"
code=$(curl -s -o /dev/null -w '%{http_code}' "$base/log/tile/entries/000")
[ "$code" = 401 ] || { echo "tlog-verify: FAILED: entry bundles without a token answered $code, not 401" >&2; exit 1; }
"$verify" -url "$base" -key "$key" -token "$token" -save "$tmp/old.checkpoint"

add_entries 130
echo "== tlog-verify: $(size) entries; Go verifier with the saved checkpoint"
"$verify" -url "$base" -key "$key" -token "$token" -old "$tmp/old.checkpoint" -records 0,7,255,256,300,511,512

# Must be rejected: one byte of the root changed (current, then the saved one).
flip() {
  python3 - "$1" "$2" <<'EOF'
import base64, sys
lines = open(sys.argv[1]).read().split("\n")
root = bytearray(base64.b64decode(lines[2]))
root[5] ^= 0x01
lines[2] = base64.b64encode(bytes(root)).decode()
open(sys.argv[2], "w").write("\n".join(lines))
EOF
}
curl -fsS "$base/log/checkpoint" >"$tmp/new.checkpoint"
flip "$tmp/new.checkpoint" "$tmp/forged.checkpoint"
flip "$tmp/old.checkpoint" "$tmp/forged-old.checkpoint"
rejected() {
  if "$verify" "$@" >"$tmp/reject.log" 2>&1; then
    echo "tlog-verify: FAILED: the Go verifier accepted a forged checkpoint ($*)" >&2
    cat "$tmp/reject.log" >&2
    exit 1
  fi
  grep -q "does not verify" "$tmp/reject.log" || {
    echo "tlog-verify: FAILED: rejected, but not for its signature:" >&2
    cat "$tmp/reject.log" >&2
    exit 1
  }
  echo "rejected as it should be: $(tail -n 1 "$tmp/reject.log")"
}
echo "== tlog-verify: forged checkpoints"
rejected -url "$base" -key "$key" -token "$token" -checkpoint "$tmp/forged.checkpoint"
rejected -url "$base" -key "$key" -token "$token" -old "$tmp/forged-old.checkpoint"
# Another log's key (another origin) does not open this log's checkpoints.
other=$("$bin" audit verifier-key --origin example.com/another-log)
rejected -url "$base" -key "$other" -token "$token"

echo "== tlog-verify: OK in $((SECONDS - started)) s"
