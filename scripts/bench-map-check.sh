#!/usr/bin/env bash
# Times the map check (`outbound scan DB --map MAP --system shop`) on
# generated tables: TABLES tables of ROWS rows (a name, a mobile, a note),
# one dataset each, all declared as they are (every line "matches the map").
#   scripts/bench-map-check.sh TABLES ROWS name=BINARY...   (e.g. 60 10000 new=target/release/outbound)
# SQLite always; PostgreSQL too when OUTBOUND_TEST_POSTGRES is set (schema
# `mapcheck`, dropped and made again). Best of N (env, default 5) rounds,
# the binaries interleaved (scripts/bench-side-by-side.py; read the times:
# its MB/s are of the SQLite file).
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: $0 TABLES ROWS name=BINARY..." >&2; exit 2; }
TABLES=$1
ROWS=$2
shift 2
DIR=/tmp/outbound-mapcheck
rm -rf "$DIR" && mkdir -p "$DIR"
python3 - "$DIR" "$TABLES" "$ROWS" <<'EOF'
import sqlite3, sys
d, n, rows = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
names = ['张伟', '王芳', '李娜', '赵敏']
mobile = lambda g: '13' + str(g * 7919 % 1000000000).zfill(9)
c = sqlite3.connect(f'{d}/shop.db')
sql = ['DROP SCHEMA IF EXISTS mapcheck CASCADE; CREATE SCHEMA mapcheck;']
for i in range(n):
    c.execute(f'CREATE TABLE t_{i} (id INTEGER PRIMARY KEY, name TEXT, mobile TEXT, note TEXT)')
    c.executemany(f'INSERT INTO t_{i} VALUES (?, ?, ?, ?)',
                  [(g, names[g % 4], mobile(g), 'ok') for g in range(1, rows + 1)])
    sql.append(f'CREATE TABLE mapcheck.t_{i} (id int8 PRIMARY KEY, name text, mobile text, note text);')
    sql.append(f"INSERT INTO mapcheck.t_{i} SELECT g, (ARRAY['张伟','王芳','李娜','赵敏'])[1 + g % 4], "
               f"'13' || lpad((g * 7919 % 1000000000)::text, 9, '0'), 'ok' FROM generate_series(1, {rows}) g;")
c.commit()
sql.append('ANALYZE;')
open(f'{d}/pg.sql', 'w').write('\n'.join(sql) + '\n')
fields = ('[{name: id, category: operational, subject: customer}, '
          '{name: name, category: identity.name, subject: customer}, '
          '{name: mobile, category: contact.phone, subject: customer}, '
          '{name: note, category: operational, subject: customer}]')
# SQLite's tables by name; PostgreSQL's in their schema (other schemas
# may have a `t_0` of their own).
for name, schema in (('map.yaml', ''), ('map-pg.yaml', 'mapcheck.')):
    with open(f'{d}/{name}', 'w') as m:
        m.write('version: 1\n'
                'exporters: [{id: e, name: E, country: CN, ciio: false, individuals_processed: 1}]\n'
                'systems: [{id: shop, name: Shop, exporter: e, owner: {type: person, name: O}}]\n'
                'datasets:\n')
        for i in range(n):
            m.write(f'  - {{id: ds-{i}, name: Table {i}, system: shop, table: {schema}t_{i}, fields: {fields}}}\n')
EOF
run() {
  local db=$1 map=$2 specs=()
  shift 2
  for b in "$@"; do
    specs+=("${b%%=*}=${b#*=} scan $db --map $DIR/$map --system shop")
  done
  python3 "$(dirname "$0")/bench-side-by-side.py" "$DIR/shop.db" "${specs[@]}"
}
echo "SQLite, $TABLES tables x $ROWS rows"
run "sqlite:$DIR/shop.db" map.yaml "$@"
if [ -n "${OUTBOUND_TEST_POSTGRES:-}" ]; then
  PGSSLMODE=disable PGOPTIONS=--client-min-messages=warning psql -q "$OUTBOUND_TEST_POSTGRES" -f "$DIR/pg.sql" >/dev/null
  echo "PostgreSQL, $TABLES tables x $ROWS rows"
  PGSSLMODE=disable run "$OUTBOUND_TEST_POSTGRES" map-pg.yaml "$@"
fi
