#!/usr/bin/env bash
# The project's test command (README): installs what the tests need from
# Debian's packages when missing, starts a throwaway PostgreSQL cluster on
# 127.0.0.1 for the store's second backend (and the database scanner) and a
# throwaway MariaDB server for the database scanner's MySQL tests, runs
# every test with every feature (Parquet input, PDF reports), and removes
# both.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
[ -x /usr/sbin/mariadbd ] || need+=(mariadb-server)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
fc-list 2>/dev/null | grep -qi "noto sans cjk" || need+=(fonts-noto-cjk)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v go >/dev/null 2>&1 || need+=(golang-go)
[ -d /usr/share/gocode/src/golang.org/x/mod/sumdb/tlog ] || need+=(golang-golang-x-mod-dev)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "== installing ${need[*]} from Debian's packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "missing system packages: ${need[*]} (run as root, or: sudo apt-get install ${need[*]})" >&2
    exit 2
  fi
fi

OUTBOUND_TEST_POSTGRES=$(scripts/pg-test-cluster.sh start)
export OUTBOUND_TEST_POSTGRES
PG_PORT=${OUTBOUND_TEST_POSTGRES##*:}
PG_PORT=${PG_PORT%%/*}
# The test servers offer TLS with certificates from a throwaway authority;
# the TLS tests ask for it in their URLs (`sslmode=verify-full`). Other
# connections stay plain: the store's tests took 1.8 times as long over
# TLS in the debug build (125 -> 224 s) and test nothing more there.
export OUTBOUND_TEST_POSTGRES_CA=/tmp/outbound-pg-test-$PG_PORT/tls/ca.crt
export PGSSLMODE=disable
# Stopping is best effort: a failure there must not change the tests' result.
trap 'scripts/pg-test-cluster.sh stop "$PG_PORT" || true' EXIT
OUTBOUND_TEST_MYSQL=$(scripts/mysql-test-server.sh start)
export OUTBOUND_TEST_MYSQL
MY_PORT=${OUTBOUND_TEST_MYSQL##*:}
MY_PORT=${MY_PORT%%/*}
export OUTBOUND_TEST_MYSQL_CA=/tmp/outbound-mysql-test-$MY_PORT/tls/ca.crt
trap 'scripts/pg-test-cluster.sh stop "$PG_PORT" || true; scripts/mysql-test-server.sh stop "$MY_PORT" || true' EXIT

# The property tests draw random cases. Under CI they use a fixed seed, so a run
# is reproducible and a result does not depend on luck; elsewhere every run
# explores new cases (a failure prints its minimal input and seed).
if [ -n "${CI:-}" ]; then
  export PROPTEST_RNG_SEED=${PROPTEST_RNG_SEED:-20261123}
  echo "== property tests with PROPTEST_RNG_SEED=$PROPTEST_RNG_SEED"
fi

# Hygiene first: formatting and every clippy lint (the workspace's
# [workspace.lints] included) fail the run before a single test starts.
echo "== cargo fmt --all --check"
cargo fmt --all --check
echo "== cargo clippy --workspace --all-targets --all-features -- -D warnings"
cargo clippy --workspace --all-targets --all-features -- -D warnings

cargo test --workspace --all-features "$@"

# The dashboard in a real browser (Debian's chromium) and the API against its
# OpenAPI document (schemathesis), on a live server over the demo's store.
echo "== scripts/web-test.sh"
scripts/web-test.sh

# The audit log's C2SP checkpoints, tiles, inclusion and consistency proofs,
# verified over HTTP by Go's golang.org/x/mod/sumdb/{note,tlog} (Debian's).
echo "== scripts/tlog-verify.sh"
scripts/tlog-verify.sh

# The published JSON Schema accepts what the loader accepts: checked with a
# validator nobody here wrote, on the example map and on `outbound init`'s starter.
echo "== scripts/check-schema.sh"
scripts/check-schema.sh
