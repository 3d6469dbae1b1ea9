#!/usr/bin/env python3
"""Run a command N times, one after another, and time each whole process (wall clock from spawn to exit)
with its peak resident set size (ru_maxrss from wait4, i.e. that child alone). Prints one JSON line.
The kernel carries the peak of the memory a child leaves at exec into its own, so any peak reads at least
this Python process's resident size (~20 MB): a figure near 20 MB is an upper bound.

The quiet gate is the reference scripts' (/work/shared/bench/common.py): before a timed run, wait until
the machine is < GATE % busy; a run during which other processes used > 10 % of the CPUs is redone
(at most 6 tries). With --gate-once the gate is taken once before the block of runs (for runs of a few
milliseconds, where per-run gating would cost seconds each and /proc/stat cannot judge them anyway).

  python3 bench/timecmd.py --repeats 30 --gate 15 --gate-once --spawn -- .build-bench/release/nn-predict x.png
  python3 bench/timecmd.py --stdin paths.txt --stdout out.txt -- nn-predict -
  python3 bench/timecmd.py --repeats 1 --stdout torch.json -- python3 torch_mlp.py ...   # + its peak RSS
"""
import argparse
import json
import os
import sys
import time

REF = os.environ.get("REF_BENCH", "/work/shared/bench")
sys.path.insert(0, REF)
import common  # noqa: E402
import resource  # noqa: E402


class ChildMeter(common.StealMeter):
    """common.StealMeter, counting the CPU time of waited-for children as our own (the command we time)."""

    @staticmethod
    def _own():
        a = resource.getrusage(resource.RUSAGE_SELF)
        b = resource.getrusage(resource.RUSAGE_CHILDREN)
        return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


common.StealMeter = ChildMeter  # clean_repeat looks it up at call time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--gate", type=float, default=0.0)
    ap.add_argument("--gate-once", action="store_true")
    ap.add_argument("--stdin", help="file fed to the command's standard input")
    ap.add_argument("--stdout", help="file that receives the last run's standard output")
    ap.add_argument("--stderr", help="file that receives the last run's standard error")
    ap.add_argument("--warmup", type=int, default=0, help="untimed runs first (page cache, dynamic loader)")
    ap.add_argument("--spawn", action="store_true",
                    help="start the runs with posix_spawn rather than fork (for commands that last a few ms)")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cmd = args.cmd[1:] if args.cmd and args.cmd[0] == "--" else args.cmd
    if not cmd:
        ap.error("no command")

    def once_rusage(spawn=False):
        fin = open(args.stdin, "rb") if args.stdin else None
        r_out, w_out = os.pipe()
        r_err, w_err = os.pipe()
        t0 = time.perf_counter()
        if spawn:
            # posix_spawn (vfork underneath): forking this Python process (NumPy is loaded) takes ~4 ms,
            # which the whole-process time of a command that runs for a few ms would count as its own.
            devnull = None if fin else os.open(os.devnull, os.O_RDONLY)
            actions = [(os.POSIX_SPAWN_DUP2, fin.fileno() if fin else devnull, 0),
                       (os.POSIX_SPAWN_DUP2, w_out, 1), (os.POSIX_SPAWN_DUP2, w_err, 2),
                       (os.POSIX_SPAWN_CLOSE, r_out), (os.POSIX_SPAWN_CLOSE, r_err)]
            pid = os.posix_spawnp(cmd[0], cmd, os.environ, file_actions=actions)
            if devnull is not None:
                os.close(devnull)
        else:
            pid = os.fork()
            if pid == 0:  # child
                if fin:
                    os.dup2(fin.fileno(), 0)
                else:
                    devnull = os.open(os.devnull, os.O_RDONLY)
                    os.dup2(devnull, 0)
                os.dup2(w_out, 1)
                os.dup2(w_err, 2)
                os.close(r_out)
                os.close(r_err)
                try:
                    os.execvp(cmd[0], cmd)
                finally:
                    os._exit(127)
        os.close(w_out)
        os.close(w_err)
        out, err = bytearray(), bytearray()
        import selectors
        sel = selectors.DefaultSelector()
        sel.register(r_out, selectors.EVENT_READ, out)
        sel.register(r_err, selectors.EVENT_READ, err)
        open_fds = 2
        while open_fds:
            for key, _ in sel.select():
                chunk = os.read(key.fd, 65536)
                if chunk:
                    key.data.extend(chunk)
                else:
                    sel.unregister(key.fd)
                    os.close(key.fd)
                    open_fds -= 1
        _, status, ru = os.wait4(pid, 0)
        dt = time.perf_counter() - t0
        if fin:
            fin.close()
        rc = os.waitstatus_to_exitcode(status)
        return dt, rc, bytes(out), bytes(err), ru.ru_maxrss / 1024.0

    for _ in range(args.warmup):
        once_rusage(args.spawn)
    if args.gate > 0 and args.gate_once:
        gate_info = common.wait_quiet(args.gate)
    else:
        gate_info = None
    runs, cpu = [], []
    for _ in range(args.repeats):
        res, info = common.clean_repeat(lambda: once_rusage(args.spawn), 0.0 if args.gate_once else args.gate)
        runs.append(res)
        cpu.append(info)
    times = [r[0] for r in runs]
    last = runs[-1]
    if args.stdout:
        with open(args.stdout, "wb") as f:
            f.write(last[2])
    if args.stderr:
        with open(args.stderr, "wb") as f:
            f.write(last[3])
    out = {"cmd": cmd, "repeats": args.repeats, "wall_s": common.stats(times, 4),
           "wall_s_all": [round(t, 4) for t in times],
           "maxrss_mb": round(max(r[4] for r in runs), 1), "rc": [r[1] for r in runs],
           "gate": args.gate, "gate_once": gate_info, "cpu_per_repeat": cpu,
           "loadavg": [round(x, 2) for x in os.getloadavg()],
           "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    print(json.dumps(out))
    sys.exit(0 if all(r[1] == 0 for r in runs) else 1)


if __name__ == "__main__":
    main()
