#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""stamp.py OUT CMD [ARG...]: run CMD, its stdout and stderr to OUT with
the wall-clock time (epoch seconds) in front of every line, as
timeline.py's "pcap" sources want ("EPOCH text").  mobd's own log lines
carry no time.  SIGTERM and SIGINT go to CMD; exits with CMD's status.
"""
import os
import signal
import subprocess
import sys
import time


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    out = open(sys.argv[1], "a", buffering=1)
    p = subprocess.Popen(sys.argv[2:], stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def forward(signum, frame):
        try:
            p.send_signal(signum)
        except ProcessLookupError:
            pass

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    for line in iter(p.stdout.readline, b""):
        out.write("%.6f %s" % (time.time(), line.decode(errors="replace")))
    rc = p.wait()
    out.write("%.6f stamp.py: %s exited %d\n" % (time.time(), os.path.basename(sys.argv[2]), rc))
    return rc if rc >= 0 else 128 - rc


if __name__ == "__main__":
    sys.exit(main())
