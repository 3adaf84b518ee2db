#!/usr/bin/env bash
# Starts (or stops) a throwaway MariaDB server on 127.0.0.1 for the database
# scanner's MySQL tests.
#   scripts/mysql-test-server.sh start        -> prints the URL to export as OUTBOUND_TEST_MYSQL
#                                                (TLS on; its CA is DIR/tls/ca.crt, DIR below)
#   scripts/mysql-test-server.sh stop PORT    -> stops the server on PORT and removes its directory
# Each server gets a free port and its own directory, so several can run at once.
# Installs Debian's mariadb-server package if the server binary is missing.
set -euo pipefail
dir_for() { echo "/tmp/outbound-mysql-test-$1"; }
case "${1:-}" in
  start)
    if [ ! -x /usr/sbin/mariadbd ]; then
      echo "installing MariaDB from Debian's packages" >&2
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq >&2
      apt-get install -y -qq mariadb-server >&2
    fi
    PORT=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
    DIR=$(dir_for "$PORT")
    rm -rf "$DIR"
    mkdir -p "$DIR"
    mkdir -p "$DIR/tls"
    "$(dirname "$0")/test-tls-certs.sh" "$DIR/tls"
    user=$(id -un)
    if [ "$(id -u)" = 0 ]; then
      user=mysql
      chown -R mysql:mysql "$DIR"
    fi
    mariadb-install-db --no-defaults --user="$user" --datadir="$DIR/data" \
      --auth-root-authentication-method=socket --skip-test-db >"$DIR/install.log" 2>&1
    /usr/sbin/mariadbd --no-defaults --user="$user" --datadir="$DIR/data" \
      --socket="$DIR/sock" --pid-file="$DIR/pid" --port="$PORT" --bind-address=127.0.0.1 \
      --innodb-flush-log-at-trx-commit=0 --skip-log-bin \
      --ssl-cert="$DIR/tls/server.crt" --ssl-key="$DIR/tls/server.key" --ssl-ca="$DIR/tls/ca.crt" \
      >"$DIR/log" 2>&1 &
    for _ in $(seq 1 100); do
      [ -S "$DIR/sock" ] && break
      sleep 0.1
    done
    [ -S "$DIR/sock" ] || { echo "MariaDB did not start; see $DIR/log" >&2; exit 1; }
    # The test user may create and fill the test database; the scanner's
    # own session must still refuse every write (that is what is tested).
    mariadb --no-defaults --socket="$DIR/sock" -u root <<'SQL'
CREATE DATABASE outbound_test CHARACTER SET utf8mb4;
CREATE USER 'outbound'@'127.0.0.1' IDENTIFIED BY 'outbound-test-pw';
GRANT ALL ON *.* TO 'outbound'@'127.0.0.1';
SQL
    echo "mysql://outbound:outbound-test-pw@127.0.0.1:$PORT/outbound_test"
    ;;
  stop)
    [ -n "${2:-}" ] || { echo "usage: $0 stop PORT" >&2; exit 2; }
    DIR=$(dir_for "$2")
    # Best effort, and never a failure: the tests' result is what counts.
    if [ -f "$DIR/pid" ]; then
      pid=$(cat "$DIR/pid")
      kill "$pid" 2>/dev/null || true
      # The socket goes early in a shutdown; the server writes on after it.
      for _ in $(seq 1 300); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -rf "$DIR" 2>/dev/null || { sleep 1; rm -rf "$DIR" 2>/dev/null; } || true
    ;;
  *)
    echo "usage: $0 start | stop PORT" >&2
    exit 2
    ;;
esac
