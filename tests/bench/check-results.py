#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check that a benchmark run produced what it should, not how fast.

    tests/bench/check-results.py RESULTS.json

RESULTS.json is what tests/bench/report.py writes.  The benchmarks are not
pass/fail on their numbers; this fails (exit 1, naming each problem) only
when a benchmark is broken:
  - the packet core: every kind has a positive instruction count;
  - the data plane: every variant has runs and a positive rate, a ratio
    to plain forwarding, and its 100-packet check saw every packet leave
    with the expected source (the translation really happened); the
    install, memory and dump figures are there; the nftables variants
    (source map, the module's three lookups) exist at every table size
    the module was measured at;
  - the control plane: every size has its moves, none timed out, each
    with a time for every other hypervisor, and the burst, where one was
    asked for, reached every kernel and unbound nothing anywhere.
make bench-short runs a short version of everything and then this.
"""
import json
import sys

problems = []


def need(ok, what):
    if not ok:
        problems.append(what)
    return ok


def check_xlat(x):
    kinds = x.get("kinds") or []
    need(len(kinds) >= 24, "xlat: %d kinds, expected at least 24" % len(kinds))
    for k in kinds:
        need(isinstance(k.get("ir_per_packet"), int) and k["ir_per_packet"] > 0,
             "xlat: %s has no instruction count" % k.get("kind"))


def check_dataplane(d):
    results = d.get("results") or []
    need(results, "dataplane: no results")
    kinds = {r.get("kind") for r in results}
    for k in ("plain", "mob", "nft", "nftfull", "hooks"):
        need(k in kinds, "dataplane: no %s variant" % k)
    # Every table size the module was measured at, nftables was too,
    # both ways, and for each family.
    sizes = {(r.get("kind"), r.get("family"), r.get("size")) for r in results}
    for kind, fam, size in sorted(x for x in sizes if x[0] == "mob"):
        for other in ("nft", "nftfull"):
            need((other, fam, size) in sizes, "dataplane: module at %s "
                 "IPv%s bindings, no %s variant of that size"
                 % (size, fam, other))
    for r in results:
        v = r.get("variant")
        runs = r.get("pps_runs") or []
        need(runs and all(isinstance(p, (int, float)) and p > 0 for p in runs),
             "dataplane: %s: runs %r" % (v, runs))
        need(isinstance(r.get("ratio_to_plain"), (int, float)) and
             r["ratio_to_plain"] > 0, "dataplane: %s has no ratio" % v)
    checks = d.get("checks") or []
    need(checks, "dataplane: no translation checks")
    for c in checks:
        need(c.get("sent", 0) > 0 and
             c.get("left_with_expected_source") == c.get("sent"),
             "dataplane: %s: %s of %s packets left with the expected source"
             % (c.get("variant"), c.get("left_with_expected_source"),
                c.get("sent")))
    for what in ("install", "memory"):
        need(d.get(what), "dataplane: no %s figures" % what)
    for i in d.get("install") or []:
        need(i.get("seconds", 0) > 0, "dataplane: install %r" % i)
    for m in d.get("dump") or []:
        need(not m.get("timed_out") and m.get("seconds", 0) > 0,
             "dataplane: dump %r" % m)


def check_controlplane(c):
    sizes = c.get("sizes") or []
    need(sizes, "controlplane: no sizes")
    for s in sizes:
        n = s.get("hypervisors")
        moves = s.get("moves") or []
        need(moves, "controlplane: %s hypervisors: no moves" % n)
        for m in moves:
            need(not m.get("timed_out") and m.get("others_seen") == n - 1 and
                 isinstance(m.get("last_other_ms"), (int, float)),
                 "controlplane: %s hypervisors, move %s: %s of %s others, "
                 "timed out %s" % (n, m.get("move"), m.get("others_seen"),
                                   n - 1, m.get("timed_out")))
        for b in ("learn_burst", "move_burst"):
            burst = s.get(b)
            if burst is None:
                continue
            # Older files have kernels_agreeing_with_hvN, newer ones the
            # time until all kernels agreed (null: they never did).
            agree = [v for k, v in burst.items()
                     if k.startswith("kernels_agreeing_with_")]
            settled = ("all_kernels_agree_ms_polled" not in burst or
                       burst["all_kernels_agree_ms_polled"] is not None)
            need(not burst.get("timed_out") and
                 burst.get("others_complete") == n - 1 and
                 all(a == n for a in agree) and settled,
                 "controlplane: %s hypervisors, %s burst: timed out %s, "
                 "%s of %s others complete, all kernels agreeing %s"
                 % (n, burst.get("burst"), burst.get("timed_out"),
                    burst.get("others_complete"), n - 1,
                    agree or burst.get("all_kernels_agree_ms_polled")))
            # A VM that moves is never unbound anywhere.
            need(burst.get("binding_dels_seen", 0) == 0,
                 "controlplane: %s hypervisors, %s burst: %s binding "
                 "deletions" % (n, burst.get("burst"),
                                burst.get("binding_dels_seen")))


def main():
    if len(sys.argv) != 2:
        print("usage: check-results.py RESULTS.json", file=sys.stderr)
        return 2
    try:
        with open(sys.argv[1]) as f:
            r = json.load(f)
    except (OSError, ValueError) as e:
        print("check-results: %s: %s" % (sys.argv[1], e), file=sys.stderr)
        return 1
    for part, fn in (("xlat", check_xlat), ("dataplane", check_dataplane),
                     ("controlplane", check_controlplane)):
        if need(part in r, "no %s results" % part):
            fn(r[part])
    for p in problems:
        print("check-results: FAIL: " + p, file=sys.stderr)
    if problems:
        return 1
    print("check-results: every benchmark produced its figures (%s)"
          % sys.argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
