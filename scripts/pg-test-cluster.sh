#!/usr/bin/env bash
# Starts (or stops) a throwaway PostgreSQL cluster on 127.0.0.1 for the store's tests.
#   scripts/pg-test-cluster.sh start        -> prints the URL to export as OUTBOUND_TEST_POSTGRES
#                                              (TLS on; its CA is DIR/tls/ca.crt, DIR below)
#   scripts/pg-test-cluster.sh stop PORT    -> stops the cluster on PORT and removes its directory
# Each cluster gets a free port and its own directory, so several can run at once.
# Installs Debian's postgresql package if no server binaries are present.
set -euo pipefail
dir_for() { echo "/tmp/outbound-pg-test-$1"; }
bin() {
  local b
  b=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$b" ] && [ -x "$b/initdb" ] && echo "$b"
}
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "${1:-}" in
  start)
    if [ -z "$(bin)" ]; then
      echo "installing PostgreSQL from Debian's packages" >&2
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq >&2
      apt-get install -y -qq postgresql >&2
    fi
    B=$(bin)
    PORT=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
    DIR=$(dir_for "$PORT")
    rm -rf "$DIR"
    mkdir -p "$DIR"
    mkdir -p "$DIR/tls"
    "$(dirname "$0")/test-tls-certs.sh" "$DIR/tls"
    [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$DIR"
    as_pg "$B/initdb" -D "$DIR/data" -U outbound --auth=trust -E UTF8 >/dev/null
    # TLS on, as on a managed server; clients that do not ask stay plain.
    as_pg "$B/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w \
      -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c fsync=off -c ssl=on -c ssl_cert_file=$DIR/tls/server.crt -c ssl_key_file=$DIR/tls/server.key" start >/dev/null
    as_pg "$B/createdb" -h 127.0.0.1 -p "$PORT" -U outbound outbound_test
    echo "postgres://outbound@127.0.0.1:$PORT/outbound_test"
    ;;
  stop)
    [ -n "${2:-}" ] || { echo "usage: $0 stop PORT" >&2; exit 2; }
    DIR=$(dir_for "$2")
    B=$(bin) || true
    if [ -n "${B:-}" ] && [ -d "$DIR/data" ]; then
      as_pg "$B/pg_ctl" -D "$DIR/data" -m immediate stop >/dev/null 2>&1 || true
    fi
    rm -rf "$DIR"
    ;;
  *)
    echo "usage: $0 start | stop PORT" >&2
    exit 2
    ;;
esac
