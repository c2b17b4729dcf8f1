#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""One time line of a migration, from the demo's logs.

  timeline.py T0 [--until T] SOURCE...

T0 (epoch seconds) is time zero, the moment `virsh migrate` was started.
Each SOURCE is KIND:LABEL=FILE:

  events:LABEL=FILE  `virsh event --all --loop --timestamp` output
                     ("2026-11-23 15:40:01.123+0000: event 'lifecycle' ...")
  pcap:LABEL=FILE    `tcpdump -n -e -tt -l` text output (epoch first)
  marks:LABEL=FILE   lines "EPOCH text" written by the demo
  monitor:LABEL=FILE `mobctl -j monitor timestamp` output (one JSON object
                     a line, "time" in epoch seconds): the kernel's binding
                     changes

Prints "  +SECONDS  LABEL  text" sorted by time, from one second before
T0 (or the first line after it) to --until.
"""
import datetime
import json
import sys


def parse_events(path):
    out = []
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            # virsh's timestamp: "YYYY-MM-DD HH:MM:SS.mmm+ZZZZ: text"
            try:
                stamp, text = line.split(": ", 1)
                t = datetime.datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S.%f%z").timestamp()
            except ValueError:
                # Continuation lines (job-completed parameters): keep them
                # with the event before.
                if out and line.strip():
                    out[-1] = (out[-1][0], out[-1][1] + " | " + line.strip())
                continue
            out.append((t, text.replace("event ", "", 1)))
    return out


def parse_pcap(path):
    out = []
    with open(path, errors="replace") as f:
        for line in f:
            p = line.split(" ", 1)
            try:
                t = float(p[0])
            except ValueError:
                continue
            out.append((t, p[1].strip() if len(p) > 1 else ""))
    return out


def parse_marks(path):
    return parse_pcap(path)


def parse_monitor(path):
    out = []
    with open(path, errors="replace") as f:
        for line in f:
            try:
                o = json.loads(line)
                t = float(o.pop("time"))
            except (ValueError, KeyError, TypeError, AttributeError):
                continue
            text = " ".join("%s=%s" % (k, v) for k, v in o.items())
            out.append((t, text))
    return out


def main():
    args = sys.argv[1:]
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    t0 = float(args.pop(0))
    until = None
    if args[:1] == ["--until"]:
        until = float(args[1])
        args = args[2:]
    rows = []
    for src in args:
        kind, rest = src.split(":", 1)
        label, path = rest.split("=", 1)
        try:
            parsed = {"events": parse_events, "pcap": parse_pcap,
                      "marks": parse_marks, "monitor": parse_monitor}[kind](path)
        except FileNotFoundError:
            print("(no %s)" % path)
            continue
        rows += [(t, label, text) for t, text in parsed]
    rows.sort(key=lambda r: r[0])
    width = max([len(r[1]) for r in rows] + [4])
    for t, label, text in rows:
        if t < t0 - 1 or (until is not None and t > until):
            continue
        print("  %+9.3f  %-*s  %s" % (t - t0, width, label, text))
    return 0


if __name__ == "__main__":
    sys.exit(main())
