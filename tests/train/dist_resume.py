#!/usr/bin/env python3
"""Multi-process resume (issue 7): a two-rank job (Gloo, grad_accum 2, dropout on, so each
rank's generator state matters) whose rank 1 is SIGKILLed at a random step, then resumed
with `--resume` and the same world size, ends with last/model.safetensors byte-identical
to an uninterrupted two-rank job. Also checks that the launcher failed the killed job,
that training_state holds rank 1's generator state, and that resuming with another world
size is refused.

One intra-op thread per rank. Exit 0 pass, 1 fail, 77 skipped. KILL_SEED fixes the step.
"""
import filecmp
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import dist_common as dc  # noqa: E402


def main():
    try:
        tmp, base, corpus = dc.setup("triage-dist-resume-", dropout=0.1)
    except dc.Skip as e:
        print(f"SKIP: {e}")
        return dc.SKIP
    common = dc.common_args(base, corpus, **{"run.max_steps": 24, "run.eval_every": 3, "optim.grad_accum": 2})
    launch = [dc.TRAIN, "--nproc-per-node", "2"]
    full = os.path.join(tmp, "full")
    r, secs = dc.run(launch + common + ["--set", f"run.output_dir={full}"])
    if r.returncode != 0:
        print("uninterrupted run failed:", r.stderr[-3000:])
        return 1
    total = json.load(open(os.path.join(full, "summary.json")))["steps"]
    print(f"uninterrupted 2-rank run: {total} steps in {secs:.1f} s")

    rng = random.Random(int(os.environ.get("KILL_SEED", time.time_ns() % 1000003)))
    kill_after = rng.randint(4, total - 2)
    part = os.path.join(tmp, "part")
    p = subprocess.Popen(launch + common + ["--set", f"run.output_dir={part}"], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True, env=dc.env_one_thread())
    metrics = os.path.join(part, "metrics.jsonl")
    killed_at = None
    deadline = time.time() + 120
    while p.poll() is None and time.time() < deadline:
        try:
            steps = [json.loads(l).get("step", 0) for l in open(metrics) if l.strip()]
        except (OSError, ValueError):
            steps = []
        if steps and max(steps) >= kill_after:
            rank1 = [c for c in dc.children(p.pid) if dc.environ_of(c).get(b"RANK") == b"1"]
            if rank1:
                os.kill(rank1[0], signal.SIGKILL)
                killed_at = max(steps)
                break
        time.sleep(0.01)
    try:
        _, err = p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        dc.kill_tree(p)
        print("FAIL: the launcher did not end within 60 s of the SIGKILL")
        return 1
    if killed_at is None:
        print(f"FAIL: the run ended before step {kill_after}; cannot test the kill")
        return 1
    if p.returncode == 0 or "rank 1" not in err:
        print(f"FAIL: launcher exit {p.returncode} after rank 1 was killed; stderr tail:\n{err[-1500:]}")
        return 1
    ts = os.path.join(part, "last", "training_state")
    state = json.load(open(os.path.join(ts, "state.json")))
    print(f"SIGKILL of rank 1 at step ~{killed_at} (target {kill_after}); launcher exit {p.returncode}; "
          f"last saved state at step {state['step']}, world_size {state.get('world_size')}")
    if not os.path.exists(os.path.join(ts, "rng-rank-1.pt")) or state.get("world_size") != 2:
        print("FAIL: training_state lacks rank 1's generator state or the world size")
        return 1

    r, _ = dc.run([dc.TRAIN] + common + ["--set", f"run.output_dir={os.path.join(tmp, 'other')}",
                                          "--resume", part])
    if r.returncode != 2 or "world size" not in r.stderr:
        print(f"FAIL: resuming a 2-rank state in 1 process: exit {r.returncode}, stderr {r.stderr[-800:]}")
        return 1

    r, secs = dc.run(launch + common + ["--set", f"run.output_dir={part}", "--resume", part])
    if r.returncode != 0:
        print("resumed run failed:", r.stderr[-3000:])
        return 1
    a = os.path.join(full, "last", "model.safetensors")
    b = os.path.join(part, "last", "model.safetensors")
    same = filecmp.cmp(a, b, shallow=False)
    d, name = dc.max_abs_diff(a, b)
    steps_b = json.load(open(os.path.join(part, "summary.json")))["steps"]
    print(f"resumed 2-rank run ended at step {steps_b} ({secs:.1f} s); last/model.safetensors byte-identical: "
          f"{same} (max |diff| {d:.3g} {name})")
    ok = same and steps_b == total
    if ok:
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print(f"kept {tmp}")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
