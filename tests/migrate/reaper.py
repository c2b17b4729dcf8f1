#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""reaper.py CMD [ARG...]: run CMD as the child of a prompt subreaper.

libvirtd daemonizes each QEMU (double fork), so QEMU's parent becomes the
nearest "child subreaper" ancestor, else PID 1.  When libvirtd stops a
domain (virsh destroy, or the source side of a finished migration) it
sends SIGTERM and polls kill(pid, 0) every 200 ms until the pid is gone,
and a zombie still counts.  The build machine's container init reaps
orphans only every ~2 s (a killed orphan `sleep` stays a zombie 1.7-1.8
s), which delayed the source's STOPPED_MIGRATED event and job-completed
by 2 s after every migration.  Under this wrapper QEMU is reparented to
us and reaped at once, as systemd (or any real init) would.

Signals TERM, INT, HUP go to CMD.  Exits with CMD's status once no
child is left (QEMUs outliving libvirtd are still reaped).
"""
import ctypes
import os
import signal
import sys

PR_SET_CHILD_SUBREAPER = 36


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        err = ctypes.get_errno()
        print("reaper: prctl: %s" % os.strerror(err), file=sys.stderr)
        return 1
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(sys.argv[1], sys.argv[1:])
        finally:
            os._exit(127)

    def forward(signum, frame):
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass

    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, forward)
    status = 0
    while True:
        try:
            p, st = os.wait()
        except ChildProcessError:
            break
        if p == pid:
            status = os.waitstatus_to_exitcode(st)
            if status < 0:
                status = 128 - status
    return status


if __name__ == "__main__":
    sys.exit(main())
