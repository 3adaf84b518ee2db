#!/bin/bash
# before/after deliveries: gate 1M records on a fresh store, then again with the same people.
cd /tmp/perf
for round in 1 2; do
  for v in before after; do
    b=/tmp/outbound-$v
    d=/tmp/perf/dl-$v-$round; rm -rf $d; mkdir -p $d
    $b store init --store $d/store.db >/dev/null 2>&1
    s=$( { /usr/bin/time -f "%e s %M KB" $b scan batch.csv --threads 1 --format json >/dev/null; } 2>&1 )
    g1=$( { /usr/bin/time -f "%e s %M KB" $b gate --map map.yaml --transfer t --input batch.csv --output $d/out1.csv --store $d/store.db --as-of 2026-11-30 >/dev/null; } 2>&1 | tail -1)
    g2=$( { /usr/bin/time -f "%e s %M KB" $b gate --map map.yaml --transfer t --input batch.csv --output $d/out2.csv --store $d/store.db --as-of 2026-11-30 >/dev/null; } 2>&1 | tail -1)
    sz=$(du -sb $d/store.db* | awk '{s+=$1} END {print s}')
    v1=$( { /usr/bin/time -f "%e s %M KB" $b audit verify --store $d/store.db >/dev/null; } 2>&1 | tail -1)
    echo "round $round $v: scan [$s] gate-new [$g1] gate-again [$g2] store+wal ${sz} B verify [$v1]"
  done
done
