"""P = 2 and 4 processes on loopback (torch.distributed with gloo for the store)."""
import pytest

pytest.importorskip("torch")
pytest.importorskip("numpy")

from launch import assert_all_ok, run_ranks  # noqa: E402


@pytest.mark.parametrize("nranks", [2, 4])
def test_every_algorithm_matches_reference(nranks):
    outs = run_ranks(nranks, "algos", "5", timeout=400)
    assert_all_ok(outs)
    print(outs[0][1])


def test_state_dict_grad_scaler_ddp_hook():
    assert_all_ok(run_ranks(2, "features", timeout=300))


def test_launcher_environment_without_torch_distributed():
    outs = run_ranks(3, "env", timeout=300, use_dist=False)
    assert_all_ok(outs)
    sums = {line.split("checksum ")[1] for _, out in outs for line in out.splitlines() if "checksum " in line}
    assert len(sums) == 1, sums


def test_killed_rank_raises_instead_of_hanging():
    outs = run_ranks(2, "killed", timeout=120)
    rc0, out0 = outs[0]
    assert rc0 == 0 and "GOT-ERROR" in out0, out0


@pytest.mark.parametrize("kind", ["shape", "values"])
def test_ranks_that_differ_at_construction(kind):
    outs = run_ranks(2, "mismatch-" + kind, timeout=120)
    for rc, out in outs:
        assert rc == 0 and "GOT-ERROR" in out, out
