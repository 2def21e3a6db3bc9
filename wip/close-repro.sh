#!/usr/bin/env bash
# A projector stopped while its broker is down: does it exit?
set -uo pipefail
BIN=${1:?bin dir}
cd /work/main
W=/tmp/close-repro; rm -rf "$W"; mkdir -p "$W"
boot=$(scripts/kafka start --dir "$W/kafka" | tail -1 | sed 's/bootstrap=//')
$BIN/pilotage-simulator -q --scale ${SCALE:-0.01} --seed 1 --to-kafka "$boot" >/dev/null 2>&1
$BIN/pilotage-projector --data "$W/P" --bootstrap "$boot" --group g run > "$W/p.log" 2>&1 &
pp=$!
${EARLY:+}
if [ -z "${EARLY:-}" ]; then for i in $(seq 1 120); do grep -q "assigned" "$W/p.log" && break; sleep 0.5; done; sleep ${AFTER:-2}; else sleep ${EARLY}; fi
scripts/kafka stop --dir "$W/kafka" >/dev/null
t0=$(date +%s)
kill -TERM $pp
for i in $(seq 1 120); do kill -0 $pp 2>/dev/null || break; sleep 0.5; done
if kill -0 $pp 2>/dev/null; then echo "STILL RUNNING after $(( $(date +%s) - t0 )) s"; kill -9 $pp; else wait $pp; echo "exited $? after $(( $(date +%s) - t0 )) s"; fi
tail -3 "$W/p.log"
