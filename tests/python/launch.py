"""Starts P worker processes with a torchrun-style environment on loopback and bounds them in time:
past the timeout every worker is killed and the test fails (never hangs)."""
import os
import socket
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_ranks(nranks, mode, *args, timeout=240, env_extra=None, use_dist=True):
    port = free_port()
    procs = []
    for r in range(nranks):
        env = dict(os.environ, RANK=str(r), WORLD_SIZE=str(nranks), LOCAL_RANK=str(r),
                   MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), OMP_NUM_THREADS="1",
                   LIONCUB_NET_STREAMS="1", LIONCUB_NET_THREADS="1",
                   LIONCUB_TEST_USE_DIST="1" if use_dist else "0")
        env.update(env_extra or {})
        procs.append(subprocess.Popen([sys.executable, os.path.join(HERE, "workers.py"), mode, *args],
                                      env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                      text=True))
    outs = []
    try:
        for p in procs:
            out, _ = p.communicate(timeout=timeout)
            outs.append((p.returncode, out))
    except subprocess.TimeoutExpired:
        for p in procs:
            p.kill()
        texts = [p.communicate()[0] for p in procs]
        raise AssertionError(f"{mode}: ranks ran past {timeout} s:\n" + "\n".join(
            f"--- rank {r}\n{t[-3000:]}" for r, t in enumerate(texts)))
    return outs


def assert_all_ok(outs):
    bad = [(r, rc, out) for r, (rc, out) in enumerate(outs) if rc != 0]
    assert not bad, "\n".join(f"--- rank {r} exit {rc}\n{out[-4000:]}" for r, rc, out in bad)
