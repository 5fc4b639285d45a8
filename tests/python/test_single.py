"""One rank: lioncub.torch.Lion against lion_pytorch.Lion, and the optimizer's torch features."""
import io
import os
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")
lion_pytorch = pytest.importorskip("lion_pytorch")

import lioncub  # noqa: E402
from lioncub.torch import Lion  # noqa: E402




def make_model(seed=0, dtype=torch.float32):
    torch.manual_seed(seed)
    m = torch.nn.Sequential(torch.nn.Linear(33, 65), torch.nn.Tanh(), torch.nn.Linear(65, 7))
    return m.to(dtype)


def batch(step, dtype=torch.float32):
    g = torch.Generator().manual_seed(1000 + step)
    return torch.randn(16, 33, generator=g).to(dtype), torch.randint(0, 7, (16,), generator=g)


def loss_of(model, step, dtype=torch.float32):
    x, y = batch(step, dtype)
    return torch.nn.functional.cross_entropy(model(x).float(), y)


def near_zero_c(ref_opt, model, beta1, ulps=4):
    """Mask per parameter of the elements whose next c = beta1*m + (1-beta1)*g is within `ulps`
    ulp of 0 (where torch's fused multiply-add may round to the other sign)."""
    out = []
    for p in model.parameters():
        m = ref_opt.state[p]["exp_avg"] if p in ref_opt.state else torch.zeros_like(p)
        a, b = beta1 * m, (1 - beta1) * p.grad
        c = a + b
        out.append(c.abs() <= ulps * torch.finfo(p.dtype).eps * torch.maximum(a.abs(), b.abs()))
    return out


def run_pair(steps, lr=1e-3, wd=0.0, betas=(0.9, 0.99), groups=None, sched=None):
    ours, theirs = make_model(), make_model()
    theirs.load_state_dict(ours.state_dict())
    if groups:
        pa, pb = groups(ours), groups(theirs)
    else:
        pa, pb = ours.parameters(), theirs.parameters()
    a = Lion(pa, lr=lr, betas=betas, weight_decay=wd)
    b = lion_pytorch.Lion(pb, lr=lr, betas=betas, weight_decay=wd)
    sa, sb = (sched(a), sched(b)) if sched else (None, None)
    near_total = 0
    for s in range(steps):
        for model, opt in ((ours, a), (theirs, b)):
            opt.zero_grad()
            loss_of(model, s).backward()
        masks = near_zero_c(b, theirs, betas[0])
        a.step()
        b.step()
        if sa:
            sa.step()
            sb.step()
        for pa_, pb_, near in zip(ours.parameters(), theirs.parameters(), masks):
            diff = pa_ != pb_
            assert not (diff & ~near).any(), f"step {s}: parameters differ where c is not near 0"
            near_total += int((diff & near).sum())
            pa_.data.copy_(pb_.data)  # continue from the reference: count fresh differences only
        for pa_, pb_ in zip(ours.parameters(), theirs.parameters()):
            a.state[pa_]["exp_avg"].copy_(b.state[pb_]["exp_avg"])
    return a, near_total


def test_matches_lion_pytorch_100_steps():
    opt, near = run_pair(100, lr=3e-3, wd=0.1)
    n = sum(p.numel() for g in opt.param_groups for p in g["params"])
    print(f"elements that differed (c within 4 ulp of 0): {near} of {100 * n}")
    assert near <= 5
    assert opt.last_stats["algorithm"] == "full" and opt.last_stats["step"] == 99


def test_param_groups_and_scheduler():
    def groups(model):
        return [{"params": model[0].parameters(), "lr": 2e-3, "weight_decay": 0.5},
                {"params": model[2].parameters()}]

    def sched(opt):
        return torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)

    opt, near = run_pair(12, lr=1e-3, wd=0.01, groups=groups, sched=sched)
    assert near <= 2
    assert opt.param_groups[0]["lr"] == pytest.approx(2e-3 * 0.5 ** 4)


def test_closure_and_missing_grad():
    model = make_model()
    frozen = torch.nn.Parameter(torch.ones(3), requires_grad=False)
    unused = torch.nn.Parameter(torch.ones(5))
    opt = Lion([*model.parameters(), frozen, unused], lr=0.1, weight_decay=0.0)
    loss = opt.step(lambda: loss_of(model, 0).backward() or torch.tensor(1.5))
    assert float(loss) == 1.5
    assert torch.equal(frozen, torch.ones(3))  # requires_grad=False: left out
    assert torch.equal(unused, torch.ones(5))  # no grad: zero gradient, zero momentum, u = 0


def test_state_dict_round_trip_bit_for_bit():
    def run(model, opt, start, n):
        for s in range(start, start + n):
            opt.zero_grad()
            loss_of(model, s).backward()
            opt.step()

    kw = dict(lr=1e-3, weight_decay=0.1)
    m1 = make_model()
    o1 = Lion(m1.parameters(), **kw)
    run(m1, o1, 0, 5)
    buf = io.BytesIO()
    torch.save({"model": m1.state_dict(), "opt": o1.state_dict()}, buf)
    run(m1, o1, 5, 5)
    buf.seek(0)
    saved = torch.load(buf, weights_only=False)
    m2 = make_model(seed=1)
    m2.load_state_dict(saved["model"])
    o2 = Lion(m2.parameters(), lr=0.5)  # lr comes back from the state_dict
    o2.load_state_dict(saved["opt"])
    assert o2.param_groups[0]["lr"] == 1e-3
    run(m2, o2, 5, 5)
    for a, b in zip(m1.parameters(), m2.parameters()):
        assert torch.equal(a, b)
    assert o2.last_stats["step"] == 9


def test_bf16_against_float32_reference():
    model = make_model(dtype=torch.bfloat16)
    ref = [p.detach().float().clone() for p in model.parameters()]
    m_ref = [torch.zeros_like(r) for r in ref]
    lr, b1, b2, wd = 1e-2, 0.9, 0.99, 0.1
    opt = Lion(model.parameters(), lr=lr, betas=(b1, b2), weight_decay=wd)
    f = lambda x: torch.tensor(x, dtype=torch.float32)  # noqa: E731
    for s in range(5):
        opt.zero_grad()
        loss_of(model, s, torch.bfloat16).backward()
        for i, p in enumerate(model.parameters()):
            g = p.grad.float()
            c = f(b1) * m_ref[i] + (f(1) - f(b1)) * g
            new = (p.detach().float() * (f(1) - f(lr) * f(wd)) - f(lr) * torch.sign(c))
            ref[i] = new.to(torch.bfloat16)
            m_ref[i] = (f(b2) * m_ref[i] + (f(1) - f(b2)) * g).to(torch.bfloat16).float()
        opt.step()
        for p, r in zip(model.parameters(), ref):
            assert p.dtype == torch.bfloat16
            assert torch.equal(p.detach(), r), f"step {s}"


def test_grad_scaler_skips_non_finite_step():
    model = make_model()
    opt = Lion(model.parameters(), lr=1e-2)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0 ** 10)
    for s in range(3):
        opt.zero_grad()
        scaler.scale(loss_of(model, s)).backward()
        if s == 1:
            model[0].weight.grad[0, 0] = float("nan")
        before = [p.detach().clone() for p in model.parameters()]
        scaler.step(opt)
        scaler.update()
        same = all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
        assert same == (s == 1) and opt.last_stats["skipped"] == (s == 1)
    assert scaler.get_scale() == 2.0 ** 9


def test_grad_scaler_unscales_like_plain_step():
    a, b = make_model(), make_model()
    oa, ob = Lion(a.parameters(), lr=1e-2), Lion(b.parameters(), lr=1e-2)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0 ** 8)
    for s in range(3):
        oa.zero_grad()
        ob.zero_grad()
        scaler.scale(loss_of(a, s)).backward()
        scaler.step(oa)
        scaler.update()
        loss_of(b, s).backward()
        ob.step()
    for x, y in zip(a.parameters(), b.parameters()):
        assert torch.equal(x, y)


def test_errors():
    with pytest.raises(TypeError, match="float32 and bfloat16"):
        Lion([torch.nn.Parameter(torch.zeros(4, dtype=torch.float16))])
    with pytest.raises(TypeError, match="(?i)tensors"):
        Lion([{"params": [torch.nn.Parameter(torch.zeros(4)), "x"]}])
    with pytest.raises(ValueError, match="contiguous"):
        Lion([torch.nn.Parameter(torch.zeros(4, 6).t())])
    with pytest.raises(ValueError, match="invalid lr"):
        Lion([torch.nn.Parameter(torch.zeros(4))], lr=-1.0)
    with pytest.raises(ValueError, match="betas"):
        Lion([torch.nn.Parameter(torch.zeros(4))], betas=(0.9, 1.0))
    with pytest.raises(lioncub.LioncubError, match="bogus"):
        Lion([torch.nn.Parameter(torch.zeros(4))], algorithm="bogus")
    with pytest.raises(ValueError, match="tie"):
        Lion([torch.nn.Parameter(torch.zeros(4))], tie="coin")
    with pytest.raises(lioncub.LioncubError, match="InvalidArgument"):
        Lion([torch.nn.Parameter(torch.zeros(4))], algorithm="quant2-rs", code="sign")
    p = torch.nn.Parameter(torch.zeros(4))
    opt = Lion([p])
    if hasattr(p, "grad_dtype"):  # torch itself refuses it otherwise
        p.grad_dtype = None
        p.grad = torch.zeros(4, dtype=torch.float64)
        with pytest.raises(TypeError, match="gradient"):
            opt.step()
        p.grad = None
        p.grad_dtype = torch.float32
    p.grad = torch.zeros(8)[::2]  # non-contiguous gradient: handled (copied)
    opt.step()
    opt.param_groups[0]["weight_decay"] = 0.3
    with pytest.raises(ValueError, match="fixed at construction"):
        opt.step()
    if torch.cuda.is_available():
        with pytest.raises(ValueError, match="several devices"):
            Lion([torch.nn.Parameter(torch.zeros(4)), torch.nn.Parameter(torch.zeros(4, device="cuda"))])


def test_padding_slots_change_nothing(monkeypatch):
    """The padding the device path inserts between tensors (exercised here on the CPU) must not
    change the parameters: same results as without it, bit for bit."""
    import lioncub.torch._lion as impl
    a, b = make_model(), make_model()
    oa = Lion(a.parameters(), lr=1e-2, weight_decay=0.1)
    monkeypatch.setattr(impl, "_PAD_ALWAYS", True)
    ob = Lion(b.parameters(), lr=1e-2, weight_decay=0.1)
    assert ob._parts[0].pads and len(ob._parts[0].numels) > len(oa._parts[0].numels)
    for s in range(4):
        for m, o in ((a, oa), (b, ob)):
            o.zero_grad()
            loss_of(m, s).backward()
            o.step()
    for x, y in zip(a.parameters(), b.parameters()):
        assert torch.equal(x, y)


def test_import_without_torch():
    code = ("import sys; sys.modules['torch'] = None\n"
            "import lioncub; print(lioncub.version())\n"
            "try:\n    import lioncub.torch\nexcept ImportError as e: print('needs torch:', e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env=dict(os.environ))
    assert out.returncode == 0, out.stderr
    assert "(0, 1, 0)" in out.stdout and "needs torch" in out.stdout


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_one_rank_matches_cpu():
    if not lioncub.has_cuda():
        pytest.skip("liblioncub built without CUDA")
    a, b = make_model(), make_model().cuda()
    b.load_state_dict(a.state_dict())
    oa, ob = Lion(a.parameters(), lr=1e-3), Lion(b.parameters(), lr=1e-3)
    for s in range(5):
        for m, o in ((a, oa), (b, ob)):
            o.zero_grad()
            x, y = batch(s)
            dev = next(m.parameters()).device
            torch.nn.functional.cross_entropy(m(x.to(dev)), y.to(dev)).backward()
            o.step()
    torch.cuda.synchronize()
    for x, y in zip(a.parameters(), b.parameters()):
        assert torch.allclose(x, y.cpu(), atol=2e-3 * 5)
