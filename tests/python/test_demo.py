"""The PyTorch demo's worker (bench/demo_torch/train.py), small: P = 2 on loopback, every method,
a few steps; results.json must hold every run with finite numbers."""
import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("torch")
pytest.importorskip("lion_pytorch")
DATA = "/usr/share/datasets/fashion-mnist"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.skipif(not os.path.exists(os.path.join(DATA, "t10k-labels-idx1-ubyte.gz")),
                    reason="Debian's dataset-fashion-mnist is not installed")
def test_demo_smoke(tmp_path):
    from launch import free_port
    port = free_port()
    procs = [subprocess.Popen(
        [sys.executable, os.path.join(ROOT, "bench", "demo_torch", "train.py"), "--steps", "4",
         "--eval-every", "2", "--hidden", "32", "--layers", "1", "--out", str(tmp_path)],
        env=dict(os.environ, RANK=str(r), WORLD_SIZE="2", MASTER_ADDR="127.0.0.1",
                 MASTER_PORT=str(port), OMP_NUM_THREADS="1"),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for r in range(2)]
    try:
        outs = [p.communicate(timeout=240)[0] for p in procs]
    finally:
        for p in procs:
            p.kill()
    assert all(p.returncode == 0 for p in procs), "\n".join(outs)
    res = json.load(open(tmp_path / "results.json"))
    assert [r["method"] for r in res["runs"]] == ["ddp", "full", "alltoall-vote", "quant2-rs"]
    for r in res["runs"]:
        assert len(r["step_ms"]) == 4 and len(r["curve"]) == 2 and 0 <= r["final_test_acc"] <= 100
        assert r["wire_bytes_per_step"] > 0
    ddp = res["runs"][0]["wire_bytes_per_step"]
    assert res["runs"][2]["wire_bytes_per_step"] < ddp / 5
