#!/usr/bin/env python3
"""A dead or hung rank never leaves a job hanging (issue 7):
  1. `triage-train --nproc-per-node 2`, rank 1 SIGKILLed mid-run: the launcher exits
     non-zero within 60 s and its log names rank 1 and the signal.
  2. `torchrun --no-python --nproc-per-node 2` (when torchrun is in the venv), same kill:
     torchrun exits non-zero within 60 s naming the failed rank.
  3. Two hand-made ranks (torchrun's environment, no launcher), rank 1 SIGSTOPped (alive,
     sockets open, silent): rank 0 fails on its own after dist.timeout_s (8 s) with exit 1
     and an error naming the collective, well within 60 s.
Exit 0 pass, 1 fail, 77 skipped.
"""
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import dist_common as dc  # noqa: E402

LIMIT_S = 60


def wait_step(out_dir, p, step, timeout=90):
    metrics = os.path.join(out_dir, "metrics.jsonl")
    deadline = time.time() + timeout
    while p.poll() is None and time.time() < deadline:
        try:
            steps = [json.loads(l).get("step", 0) for l in open(metrics) if l.strip()]
        except (OSError, ValueError):
            steps = []
        if steps and max(steps) >= step:
            return True
        time.sleep(0.02)
    return False


def rank_pid(root_pid, rank):
    for c in dc.descendants(root_pid):
        if dc.environ_of(c).get(b"RANK") == str(rank).encode() and b"triage-train" in open(
                f"/proc/{c}/cmdline", "rb").read():
            return c
    return None


def kill_case(name, cmd, out_dir, expect):
    p = subprocess.Popen(cmd + ["--set", f"run.output_dir={out_dir}"], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True, env=dc.env_one_thread())
    try:
        if not wait_step(out_dir, p, 2):
            print(f"FAIL: {name}: no step 2 logged (exit {p.poll()})")
            return False
        victim = rank_pid(p.pid, 1)
        if victim is None:
            print(f"FAIL: {name}: rank 1 not found")
            return False
        t0 = time.time()
        os.kill(victim, signal.SIGKILL)
        try:
            _, err = p.communicate(timeout=LIMIT_S)
        except subprocess.TimeoutExpired:
            print(f"FAIL: {name}: still running {LIMIT_S} s after rank 1 was killed")
            return False
        secs = time.time() - t0
        left = [c for c in dc.descendants(p.pid)]
        named = all(e in err for e in expect)
        print(f"{name}: exit {p.returncode} {secs:.1f} s after SIGKILL of rank 1; log names it: {named}")
        for line in err.splitlines():
            if "rank 1" in line or "local_rank: 1" in line or "exitcode" in line:
                print("   | " + line.strip()[:200])
        if not named:
            print(err[-2000:])
        return p.returncode != 0 and secs < LIMIT_S and named and not left
    finally:
        dc.kill_tree(p)


def timeout_case(common, out_dir):
    port = dc.free_port()
    procs = []
    for rank in (0, 1):
        env = dc.env_one_thread()
        env.update({"RANK": str(rank), "LOCAL_RANK": str(rank), "WORLD_SIZE": "2", "LOCAL_WORLD_SIZE": "2",
                    "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port)})
        procs.append(subprocess.Popen([dc.TRAIN] + common + ["--set", "dist.timeout_s=8", "--set",
                                                              f"run.output_dir={out_dir}"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env))
    try:
        if not wait_step(out_dir, procs[0], 2):
            print("FAIL: hung-rank case: no step 2 logged")
            return False
        t0 = time.time()
        os.kill(procs[1].pid, signal.SIGSTOP)
        try:
            _, err = procs[0].communicate(timeout=LIMIT_S)
        except subprocess.TimeoutExpired:
            print(f"FAIL: hung-rank case: rank 0 still running {LIMIT_S} s after rank 1 stopped")
            return False
        secs = time.time() - t0
        msg = [l for l in err.splitlines() if "error" in l]
        print(f"hung rank 1 (SIGSTOP): rank 0 exit {procs[0].returncode} after {secs:.1f} s (dist.timeout_s=8)")
        for l in msg[-1:]:
            print("   | " + l[:300])
        return procs[0].returncode == 1 and secs < LIMIT_S and any("rank 0 of 2" in l for l in msg)
    finally:
        for p in procs:
            try:
                os.kill(p.pid, signal.SIGKILL)
            except OSError:
                pass
            p.wait()


def main():
    try:
        tmp, base, corpus = dc.setup("triage-dist-kill-")
    except dc.Skip as e:
        print(f"SKIP: {e}")
        return dc.SKIP
    common = dc.common_args(base, corpus, **{"run.max_steps": 100000, "run.eval_every": 1000000})
    ok = kill_case("--nproc-per-node 2", [dc.TRAIN, "--nproc-per-node", "2"] + common, os.path.join(tmp, "a"),
                   ["rank 1", "SIGKILL"])
    tr = dc.torchrun_cmd(2)
    if tr:
        ok &= kill_case("torchrun", tr + common, os.path.join(tmp, "b"), ["rank", "1", "Signal 9"])
    ok &= timeout_case(common, os.path.join(tmp, "c"))
    if ok:
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
