#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Collect the benchmarks' JSON into one results table (text and JSON) and
plots (PNG, with gnuplot).

    tests/bench/report.py BENCHDIR

reads, from BENCHDIR (build/bench), whatever of these exists:
    xlat-callgrind.json            make bench-xlat
    dataplane-<kver>.json          make bench-dataplane   (newest file)
    controlplane-<kver>.json       make bench-controlplane (newest file)
and writes BENCHDIR/results.txt, results.json, dataplane.png and
controlplane.png.  Numbers are copied, never computed anew, except the
ratios and medians the table shows, which come from the same file.
"""
import glob
import json
import os
import platform
import shutil
import subprocess
import sys


def newest(pattern):
    files = [f for f in glob.glob(pattern) if not f.endswith(".log")]
    return max(files, key=os.path.getmtime) if files else None


def load(path):
    with open(path) as f:
        return json.load(f)


def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"host": platform.node(), "cpu": cpu, "cpus": os.cpu_count(),
            "kernel": platform.release()}


def xlat_section(x, out):
    out.append("Packet core, instructions per packet (callgrind, host, "
               "%s, n=%d)" % (x.get("compiler", "?"), x.get("n", 0)))
    out.append("  %-24s %8s" % ("kind", "Ir/pkt"))
    for k in x["kinds"]:
        out.append("  %-24s %8d" % (k["kind"], k["ir_per_packet"]))
    out.append("")


def dp_label(r):
    if r["kind"] in ("plain", "gen"):
        return r["description"]
    return "%s, %s bindings" % (r["description"], r["size"]) \
        if r.get("size") else r["description"]


def best_ratios(d):
    """Each row's best run, and its ratio to the best run of its plain
    baseline.  Slowdowns from outside the guest only ever lower a rate,
    so when a round was disturbed the best of the rounds is the steadier
    figure; the median is the one to quote for a quiet run."""
    best = {}
    for r in d["results"]:
        if r.get("pps_runs"):
            best[(r.get("phase"), r["variant"])] = max(r["pps_runs"])
    for r in d["results"]:
        b = best.get((r.get("phase"), r["variant"]))
        base = best.get((r.get("phase"), r.get("baseline")))
        r["pps_best"] = b
        r["ratio_best_to_plain"] = round(b / base, 3) if b and base else None


def dataplane_section(d, out):
    p = d.get("parameters", {})
    out.append("Data plane: 64-byte UDP forwarded through one hypervisor "
               "namespace (kernel %s, QEMU TCG)" % d.get("kernel", "?"))
    out.append("  path: %s" % p.get("path", "?"))
    out.append("  %ss runs, %s rounds interleaved; median and best run, "
               "each with its ratio to plain forwarding's (same phase)"
               % (p.get("run_seconds", "?"), p.get("rounds", "?")))
    out.append("  %-5s %-44s %-4s %-9s %10s %7s %10s %7s" % (
        "phase", "variant", "IP", "bindings", "median pps", "ratio",
        "best pps", "ratio"))
    for r in d["results"]:
        if r["kind"] == "gen":
            continue
        out.append("  %-5s %-44s v%-3s %-9s %10d %7.3f %10d %7.3f" % (
            r.get("phase", "-"), r["description"][:44], r["family"],
            r.get("size", 0) or "-", r["pps_median"],
            r.get("ratio_to_plain") or 0, r.get("pps_best") or 0,
            r.get("ratio_best_to_plain") or 0))
    out.append("")
    mem = [m for m in d.get("memory", []) if m.get("mob_binding_cache")]
    if mem:
        m = max(mem, key=lambda m: m["size"])
        out.append("Kernel memory per binding (%d IPv%d bindings): %s bytes "
                   "of slab (SUnreclaim), of which the binding object %s"
                   % (m["size"], m["family"],
                      m["bytes_per_entry"].get("SUnreclaim_plus_Vmalloc"),
                      m["mob_binding_cache"].get("bytes_per_binding")))
    for m in d.get("memory", []):
        if m["what"] == "nft" and m["size"] == max(
                x["size"] for x in d["memory"] if x["what"] == "nft"):
            out.append("  nftables map element, same size: %s bytes"
                       % m["bytes_per_entry"].get("SUnreclaim_plus_Vmalloc"))
            break
    out.append("Installing and dumping")
    for i in d.get("install", []):
        out.append("  install %-7s IPv%d %8d entries: %8.3f s (%d/s)"
                   % (i["what"], i["family"], i["size"], i["seconds"],
                      i["per_second"]))
    for i in d.get("dump", []):
        out.append("  dump    %-7s IPv%d %8d entries: %8.3f s (%d/s)"
                   % (i["what"], i["family"], i["size"], i["seconds"],
                      i["per_second"]))
    out.append("")


def controlplane_section(c, out):
    out.append("Control plane: announcement at the new hypervisor -> last "
               "other kernel updated (kernel %s, QEMU TCG)"
               % c.get("kernel", "?"))
    out.append("  %-11s %12s %12s %14s %16s" % (
        "hypervisors", "median ms", "max ms", "etcd put ms",
        "burst last ms"))
    for s in c["sizes"]:
        mv = s.get("move_last_other_ms") or {}
        burst = s.get("move_burst") or {}
        out.append("  %-11s %12s %12s %14s %16s" % (
            "%d%s" % (s["hypervisors"], s.get("agent", "")),
            mv.get("median", "-"), mv.get("max", "-"),
            (s.get("etcd_put_ms") or {}).get("median", "-"),
            "%s (%s VMs)" % (burst.get("last_other_ms"), burst.get("vms"))
            if burst else "-"))
    out.append("")


def gnuplot(script):
    if not shutil.which("gnuplot"):
        print("report: gnuplot missing (apt-get install gnuplot-nox); "
              "no plots", file=sys.stderr)
        return False
    subprocess.run(["gnuplot"], input=script, text=True, check=True)
    return True


def plot_dataplane(d, path):
    # The table-size sweep is the last phase; earlier phases compare
    # with the module not loaded at all.  Each point is the best run
    # (see best_ratios).
    last = max(r.get("phase", 1) for r in d["results"])
    rows = [r for r in d["results"] if r.get("phase", 1) == last]
    names = {"mob": "module", "nft": "nft map, source only",
             "nftfull": "nft maps, the module's 3 lookups"}
    series = {}
    for r in rows:
        if r["kind"] in names and r.get("size"):
            series.setdefault("%s IPv%d" % (names[r["kind"]], r["family"]),
                              []).append((r["size"], r["pps_best"]))
    plain = {r["family"]: r["pps_best"] for r in rows
             if r["kind"] == "plain"}
    data = path + ".dat"
    with open(data, "w") as f:
        for name, pts in series.items():
            f.write('"%s"\n' % name)
            for size, pps in sorted(pts):
                f.write("%d %d\n" % (size, pps))
            f.write("\n\n")
    plots = ['"%s" index %d with linespoints title columnheader(1)'
             % (data, i) for i in range(len(series))]
    plots += ["%d with lines dashtype 2 title 'plain IPv%d'" % (pps, fam)
              for fam, pps in sorted(plain.items())]
    return gnuplot("""set terminal png size 1000,680
set output '%s'
set logscale x
set xlabel 'bindings in the table'
set ylabel 'packets per second, best of the rounds (TCG guest)'
set yrange [0:*]
set key below horizontal maxcols 2 width -8
set xtics ('1' 1, '10' 10, '100' 100, '1k' 1000, '10k' 10000, '100k' 100000, '1M' 1000000)
set title 'Forwarding 64-byte UDP through a hypervisor namespace (%s)'
plot %s
""" % (path, d.get("kernel", ""), ", ".join(plots)))


def plot_controlplane(c, path):
    data = path + ".dat"
    with open(data, "w") as f:
        for s in c["sizes"]:
            mv = s.get("move_last_other_ms") or {}
            # A side-by-side run (BENCH_MOBD_B): the plot shows agent a.
            if "median" in mv and s.get("agent", "a") == "a":
                f.write("%d %s %s\n" % (s["hypervisors"], mv["median"],
                                        mv.get("max", mv["median"])))
    return gnuplot("""set terminal png size 900,540
set output '%s'
set xlabel 'hypervisors'
set ylabel 'ms, announcement to last other kernel'
set yrange [0:*]
set title 'One VM moving (%s, TCG guest)'
plot '%s' using 1:2 with linespoints title 'median', \
     '' using 1:3 with points title 'max'
""" % (path, c.get("kernel", ""), data))


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    bench = sys.argv[1]
    out, merged = [], {"machine": machine()}
    x = os.path.join(bench, "xlat-callgrind.json")
    d = newest(os.path.join(bench, "dataplane-*.json"))
    c = newest(os.path.join(bench, "controlplane-*.json"))
    if not (os.path.exists(x) or d or c):
        print("report: no benchmark results in %s" % bench, file=sys.stderr)
        return 1
    out.append("mob benchmarks on %(host)s (%(cpu)s, %(cpus)s cpus, "
               "kernel %(kernel)s)" % merged["machine"])
    out.append("")
    if os.path.exists(x):
        merged["xlat"] = load(x)
        xlat_section(merged["xlat"], out)
    if d:
        merged["dataplane"] = load(d)
        best_ratios(merged["dataplane"])
        dataplane_section(merged["dataplane"], out)
        plot_dataplane(merged["dataplane"],
                       os.path.join(bench, "dataplane.png"))
    if c:
        merged["controlplane"] = load(c)
        controlplane_section(merged["controlplane"], out)
        plot_controlplane(merged["controlplane"],
                          os.path.join(bench, "controlplane.png"))
    text = "\n".join(out)
    with open(os.path.join(bench, "results.txt"), "w") as f:
        f.write(text + "\n")
    with open(os.path.join(bench, "results.json"), "w") as f:
        json.dump(merged, f, indent=1)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
