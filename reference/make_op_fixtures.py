"""PyTorch ground truth for the reference backend's ops: writes test/fixtures/ops.json.

Small deterministic inputs (torch.manual_seed(0)), run through torch.nn.functional ops and autograd.
Every tensor is a flat list in PyTorch's layout (NCHW for feature maps, [out][in] for weights) with its
shape; the TypeScript tests convert to the engine's CNHW. Run by hand with Debian's torch:
    /usr/bin/python3 reference/make_op_fixtures.py
"""
import json
import os

import torch
import torch.nn.functional as F

CMD = "/usr/bin/python3 reference/make_op_fixtures.py"
OUT = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "ops.json")


def t(x):
    """A tensor as {shape, data} with float32 values printed in their shortest round-trip form."""
    x = x.detach().contiguous()
    if x.dtype in (torch.int64, torch.int32):
        return {"shape": list(x.shape), "data": [int(v) for v in x.flatten().tolist()]}
    return {"shape": list(x.shape), "data": [float("%.9g" % v) for v in x.float().flatten().tolist()]}


def randn(*shape):
    return torch.randn(*shape, dtype=torch.float32)


def conv_case(n, cin, h, w, cout, k, stride, pad, bias):
    x = randn(n, cin, h, w).requires_grad_()
    wt = (randn(cout, cin, k, k) * (2.0 / (cin * k * k)) ** 0.5).requires_grad_()
    b = randn(cout).requires_grad_() if bias else None
    y = F.conv2d(x, wt, b, stride=stride, padding=pad)
    dy = randn(*y.shape)
    y.backward(dy)
    case = {"stride": stride, "pad": pad, "x": t(x), "w": t(wt), "y": t(y), "dy": t(dy), "dx": t(x.grad), "dw": t(wt.grad)}
    if bias:
        case["b"] = t(b)
        case["db"] = t(b.grad)
    return case


def pool_case(kind, n, c, h, w, k, stride, pad, ties=False):
    x = torch.randint(0, 3, (n, c, h, w)).float() if ties else randn(n, c, h, w)
    x.requires_grad_()
    if kind == "max":
        y = F.max_pool2d(x, k, stride, pad)
    else:
        y = F.avg_pool2d(x, k, stride, pad)  # count_include_pad=True, ceil_mode=False by default
    dy = randn(*y.shape)
    y.backward(dy)
    return {"k": k, "stride": stride, "pad": pad, "x": t(x), "y": t(y), "dy": t(dy), "dx": t(x.grad)}


def gemm_case(m, n, k, trans_a, trans_b, beta, big=False):
    if big:  # formula inputs (the test regenerates them) and sampled outputs keep the file small
        a = torch.tensor([((i * 37) % 101) / 50.0 - 1.0 for i in range(m * k)], dtype=torch.float32)
        b = torch.tensor([((i * 53) % 97) / 48.0 - 1.0 for i in range(k * n)], dtype=torch.float32)
    else:
        a, b = randn(m * k), randn(k * n)
    c0 = randn(m * n) if beta else torch.zeros(m * n)
    A = a.view(k, m).t() if trans_a else a.view(m, k)
    B = b.view(n, k).t() if trans_b else b.view(k, n)
    c = (A.double() @ B.double() + c0.double().view(m, n)).float().flatten()
    case = {"m": m, "n": n, "k": k, "transA": trans_a, "transB": trans_b, "beta": beta}
    if big:
        idx = list(range(0, m * n, 131))
        case.update({"formula": True, "sampleAt": idx, "cSamples": t(c[idx])})
    else:
        case.update({"a": t(a), "b": t(b), "c0": t(c0), "c": t(c)})
    return case


def bn_case(n, c, h, w, relu):
    x = (randn(n, c, h, w) * 2 + 0.5).requires_grad_()
    gamma = (randn(c) * 0.5 + 1).requires_grad_()
    beta = (randn(c) * 0.5).requires_grad_()
    y = F.batch_norm(x, None, None, gamma, beta, training=True, eps=1e-5)
    if relu:
        y = F.relu(y)
    dy = randn(*y.shape)
    y.backward(dy)
    mean = x.detach().mean(dim=(0, 2, 3))
    var = x.detach().var(dim=(0, 2, 3), unbiased=False)
    return {"relu": relu, "eps": 1e-5, "x": t(x), "gamma": t(gamma), "beta": t(beta), "mean": t(mean), "var": t(var),
            "y": t(y), "dy": t(dy), "dx": t(x.grad), "dgamma": t(gamma.grad), "dbeta": t(beta.grad)}


def main():
    torch.manual_seed(0)
    fx = {"generated_by": CMD, "torch": torch.__version__, "layout": "NCHW; weights [out][in][kh][kw]"}
    fx["conv2d"] = [
        conv_case(2, 5, 6, 6, 4, 1, 1, 0, True),    # 1x1 bottleneck
        conv_case(3, 4, 7, 7, 3, 3, 1, 1, False),   # 3x3 pad 1, batch 3, odd size
        conv_case(1, 3, 11, 11, 4, 7, 2, 3, True),  # stem: 7x7 stride 2 pad 3, cin 3
        conv_case(2, 2, 9, 9, 5, 3, 2, 1, True),    # 3x3 stride 2 on 9x9
    ]
    fx["maxPool2d"] = [pool_case("max", 2, 3, 9, 9, 3, 2, 1), pool_case("max", 1, 2, 8, 8, 3, 2, 1),
                       pool_case("max", 2, 2, 7, 7, 3, 2, 1, ties=True), pool_case("max", 1, 2, 6, 6, 2, 2, 0)]
    fx["avgPool2d"] = [pool_case("avg", 2, 3, 8, 8, 2, 2, 0), pool_case("avg", 1, 2, 9, 9, 2, 2, 0),
                       pool_case("avg", 3, 2, 7, 7, 3, 1, 1), pool_case("avg", 1, 2, 7, 7, 3, 2, 1)]
    fx["gemm"] = [gemm_case(m, n, k, ta, tb, beta) for (m, n, k, beta) in [(5, 7, 3, 0), (17, 9, 13, 1)]
                  for ta in (False, True) for tb in (False, True)]
    fx["gemm"] += [gemm_case(64, 300, 200, ta, tb, 0, big=True) for ta in (False, True) for tb in (False, True)]

    x = randn(2, 6, 5, 5).requires_grad_()
    y = F.adaptive_avg_pool2d(x, 1).flatten(1)
    dy = randn(*y.shape)
    y.backward(dy)
    fx["globalAvgPool"] = [{"x": t(x), "y": t(y), "dy": t(dy), "dx": t(x.grad)}]

    lin = []
    for (n, i, o, bias) in [(3, 10, 7, True), (1, 16, 10, False)]:
        x, w = randn(n, i).requires_grad_(), randn(o, i).requires_grad_()
        b = randn(o).requires_grad_() if bias else None
        y = F.linear(x, w, b)
        dy = randn(*y.shape)
        y.backward(dy)
        case = {"x": t(x), "w": t(w), "y": t(y), "dy": t(dy), "dx": t(x.grad), "dw": t(w.grad)}
        if bias:
            case.update({"b": t(b), "db": t(b.grad)})
        lin.append(case)
    fx["linear"] = lin

    x = randn(4, 10) * 3
    x[1, 3] = 80.0  # large logit: the max must be subtracted
    fx["softmax"] = [{"x": t(x), "y": t(torch.softmax(x, dim=1))}]
    x = randn(50)
    fx["relu"] = [{"x": t(x), "y": t(torch.relu(x))}]
    fx["batchNorm"] = [bn_case(3, 4, 5, 5, True), bn_case(2, 3, 4, 4, False)]

    ce = []
    for (n, k) in [(5, 10), (1, 3)]:
        logits = (randn(n, k) * 2).requires_grad_()
        labels = torch.randint(0, k, (n,))
        loss = F.cross_entropy(logits, labels)
        loss.backward()
        ce.append({"logits": t(logits), "labels": t(labels), "loss": float(loss), "dlogits": t(logits.grad)})
    fx["softmaxCrossEntropy"] = ce

    with open(OUT, "w") as f:
        json.dump(fx, f, separators=(",", ":"))
    print(f"wrote {os.path.normpath(OUT)} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
