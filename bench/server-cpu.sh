#!/bin/bash
# Server CPU (utime + stime from /proc, server process only) per request of redis-benchmark
# tests over loopback, for imds at ROOT or redis-server: robust to load where ops/s are not.
#
#   [D=1024] bench/server-cpu.sh ROOT|redis TESTS [P] [N]     e.g. bench/server-cpu.sh . set,mset 1 50000
#
# Starts its own server on a random port 20000-49999 (no persistence), a 20k-request warm-up
# of TESTS, then N requests (-c 50 -r 100000 -P P) per test; prints the CPU µs per request and
# redis-benchmark's CSV line; kills the server it started.
ROOT=$1; T=$2; P=${3:-1}; N=${4:-100000}
PORT=$((20000 + RANDOM % 30000))
if [ "$ROOT" = redis ]; then
  redis-server --port $PORT --save "" --appendonly no --daemonize no >/dev/null &
else
  (cd "$ROOT" && exec bun src/main.ts --port $PORT --save "" --appendonly no >/dev/null 2>&1) &
fi
PID=$!
sleep 1.5
cpu() { awk '{print $14+$15}' /proc/$PID/stat; }
TICKS=$(getconf CLK_TCK)
redis-benchmark -p $PORT -t "$T" -n 20000 -c 50 -r 100000 -P "$P" -d "${D:-3}" -q >/dev/null
for t in ${T//,/ }; do
  a=$(cpu)
  r=$(redis-benchmark -p $PORT -t "$t" -n "$N" -c 50 -r 100000 -P "$P" -d "${D:-3}" -q --csv | tail -1)
  b=$(cpu)
  echo "$ROOT $t P$P d${D:-3} cpu_us/req=$(awk -v a="$a" -v b="$b" -v t="$TICKS" -v n="$N" 'BEGIN { printf "%.2f", (b - a) * 1e6 / t / n }') $r"
done
kill $PID
