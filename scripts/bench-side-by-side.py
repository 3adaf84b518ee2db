#!/usr/bin/env python3
# Side-by-side timing: each command once per round, rounds interleaved, best of N
# (env N, default 5) wall and CPU (user+sys) seconds and MB/s of FILE.
# usage: scripts/bench-side-by-side.py FILE name=command ...
import os, sys, subprocess, time, resource
f = sys.argv[1]; size = os.path.getsize(f)
specs = [a.split('=', 1) for a in sys.argv[2:]]
n = int(os.environ.get('N', '5'))
best = {k: [1e9, 1e9] for k, _ in specs}
for r in range(n):
    for k, cmd in specs:
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run(cmd, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        w = time.perf_counter() - t
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        c = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
        best[k][0] = min(best[k][0], w); best[k][1] = min(best[k][1], c)
for k, _ in specs:
    w, c = best[k]
    print(f"{k:<14} wall {w:7.3f} s {size/w/1e6:7.0f} MB/s   cpu {c:7.3f} s {size/c/1e6:7.0f} MB/s")
