"""PyTorch front end of lioncub: `from lioncub.torch import Lion` in place of
`from lion_pytorch import Lion`. Needs torch (>= 2.4); see docs/pytorch.md."""

try:
    import torch  # noqa: F401  (the real torch: this package is lioncub.torch)
except ImportError as e:  # pragma: no cover
    raise ImportError("lioncub.torch needs PyTorch (pip install torch); `import lioncub` alone "
                      "works without it") from e

from ._lion import Lion
from ._comm import Rendezvous

__all__ = ["Lion", "ddp_comm_hook", "Rendezvous"]


def ddp_comm_hook(state, bucket):
    """A DistributedDataParallel communication hook that communicates nothing: each bucket's local
    gradients come back as a completed future, so DDP's fp32 allreduce never runs and every rank's
    p.grad stays its own gradient; lioncub.torch.Lion then exchanges 1- or 2-bit codes in step().

        model = DDP(model)
        model.register_comm_hook(None, lioncub.torch.ddp_comm_hook)
        opt = lioncub.torch.Lion(model.parameters(), lr=1e-4)

    DDP still broadcasts the initial parameters and buffers at construction (so every rank starts
    from rank 0's weights, which Lion's construction checks)."""
    fut = torch.futures.Future()
    fut.set_result(bucket.buffer())
    return fut
