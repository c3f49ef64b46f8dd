"""Writes the model-level PyTorch parity fixtures of test/fixtures/models/ (and, with --large, test/fixtures/large/).

Run from the repository root with the system Python (torch 1.13, torchvision 0.14; Debian python3-torch):

    /usr/bin/python3 reference/make_fixtures.py [--large]

What it does, in order (reference/README.md lists every tensor of every file):
1. Checks the twin: DenseNetRef(stem='imagenet', bottleneck, compression 0.5) has torchvision's densenet121 key list,
   shapes, parameter count (7,978,856) and, with the same weights, the same logits.
2. Prints and asserts the trainable parameter count of every named variant (the spec table of the brief).
3. Prints densenet121's multiply-accumulates at 3x224x224 (conv + linear; BN/pool element counts shown apart).
4. Writes the fixtures: safetensors written by the small writer below (no safetensors package), .pth by torch.save.
   Everything is seeded (torch.manual_seed per fixture) and computed on one thread, so reruns give identical bytes.
What it is not: an op-level fixture writer (make_op_fixtures.py) or the io fixtures (make_io_fixtures.py).
"""
import argparse
import json
import os
import struct
import sys
from collections import OrderedDict
from typing import Dict, List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from torchvision.models import DenseNet

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from densenet_ref import (VARIANTS, DenseNetRef, build_variant, count_macs, count_parameters,  # noqa: E402
                          to_legacy_keys)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS_DIR = os.path.join(ROOT, "test", "fixtures", "models")
LARGE_DIR = os.path.join(ROOT, "test", "fixtures", "large")
COMMAND = "/usr/bin/python3 reference/make_fixtures.py"

# The spec (trainable parameters). A mismatch is reported, never papered over.
EXPECTED_PARAMS = OrderedDict([
    ("densenet121", 7978856), ("densenet169", 14149480), ("densenet201", 20013928), ("densenet161", 28681000),
    ("densenet264", 33337704), ("densenet40", 1019722), ("densenet100-k12", 6979642),
    ("densenet100-k24", 27249082), ("densenet-bc-100", 769162), ("densenet-bc-250", 15324406),
    ("densenet-bc-190", 25624430),
])
TORCHVISION_DENSENET121_MACS_DOC = 2.834e9  # torchvision docs, DenseNet121_Weights.IMAGENET1K_V1 "GFLOPS"

# ---------------------------------------------------------------------------------------------------------------
# safetensors (https://github.com/huggingface/safetensors#format): u64 LE header length, JSON header padded with
# spaces to a multiple of 8, then the raw little-endian bytes of each tensor at its data_offsets.
_DTYPES = {torch.float32: "F32", torch.int64: "I64"}


def save_safetensors(path: str, tensors: "OrderedDict[str, torch.Tensor]", metadata: Dict[str, str]) -> int:
    header: "OrderedDict[str, object]" = OrderedDict()
    header["__metadata__"] = OrderedDict((k, str(v)) for k, v in metadata.items())
    blobs: List[bytes] = []
    offset = 0
    for name, t in tensors.items():
        t = t.detach().cpu().contiguous()
        if t.dtype not in _DTYPES:
            raise TypeError("save_safetensors: %s has dtype %s (only float32/int64 are written)" % (name, t.dtype))
        data = t.numpy().astype(t.numpy().dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = OrderedDict([("dtype", _DTYPES[t.dtype]), ("shape", list(t.shape)),
                                    ("data_offsets", [offset, offset + len(data)])])
        blobs.append(data)
        offset += len(data)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    return os.path.getsize(path)


def load_safetensors(path: str) -> "tuple[OrderedDict[str, torch.Tensor], Dict[str, str]]":
    """Reads back what save_safetensors wrote (self-check only)."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"), object_pairs_hook=OrderedDict)
    meta = header.pop("__metadata__", {})
    base = 8 + n
    out: "OrderedDict[str, torch.Tensor]" = OrderedDict()
    np_types = {"F32": "<f4", "I64": "<i8"}
    import numpy as np
    for name, info in header.items():
        b, e = info["data_offsets"]
        arr = np.frombuffer(raw[base + b:base + e], dtype=np_types[info["dtype"]]).reshape(info["shape"])
        out[name] = torch.from_numpy(arr.copy())
    return out, meta


# ---------------------------------------------------------------------------------------------------------------
def randomize_bn_and_bias(model: nn.Module) -> None:
    """Non-trivial BN so eval-mode BN is really tested: weight U(0.5,1.5), bias U(-0.5,0.5), running_mean
    U(-0.2,0.2), running_var U(0.5,1.5) (positive), num_batches_tracked 42; classifier bias U(-0.1,0.1).
    Uses the global torch RNG (seeded by the caller)."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
                m.num_batches_tracked.fill_(42)
            elif isinstance(m, nn.Linear):
                m.bias.uniform_(-0.1, 0.1)


def config_json(growth_rate: int, block_config, init_features: int, bn_size: Optional[int], compression: float,
                drop_rate: float, num_classes: int, in_channels: int, stem: str) -> str:
    return json.dumps(OrderedDict([
        ("growthRate", growth_rate), ("blockConfig", list(block_config)), ("initFeatures", init_features),
        ("bnSize", bn_size), ("compression", compression), ("dropRate", drop_rate), ("numClasses", num_classes),
        ("inChannels", in_channels), ("stem", stem)]), separators=(",", ":"))


def forward_with_taps(model: nn.Module, x: torch.Tensor, taps: List[str]) -> "tuple[torch.Tensor, OrderedDict]":
    """logits and the outputs of the named modules (cloned: torchvision's head ReLU is in-place on norm5's output)."""
    modules = dict(model.named_modules())
    outs: "OrderedDict[str, torch.Tensor]" = OrderedDict((t, None) for t in taps)
    hooks = []
    for t in taps:
        def hook(m, inp, out, t=t):
            outs[t] = out.detach().clone()
        hooks.append(modules[t].register_forward_hook(hook))
    with torch.no_grad():
        logits = model(x)
    for h in hooks:
        h.remove()
    return logits, outs


def state_tensors(model: nn.Module, prefix: str = "state.") -> "OrderedDict[str, torch.Tensor]":
    return OrderedDict((prefix + k, v.detach().clone()) for k, v in model.state_dict().items())


def eval_fixture(name: str, model: nn.Module, x: torch.Tensor, taps: List[str], config: str) -> str:
    model.eval()
    logits, outs = forward_with_taps(model, x, taps)
    tensors = state_tensors(model)
    tensors["input"] = x
    tensors["logits"] = logits
    for t, v in outs.items():
        tensors["out." + t] = v
    path = os.path.join(MODELS_DIR, name)
    save_safetensors(path, tensors, OrderedDict([
        ("config", config), ("command", COMMAND), ("mode", "eval"), ("taps", json.dumps(taps)),
        ("torch", torch.__version__), ("torchvision", torchvision.__version__)]))
    # Self-check: reload the file into a fresh copy of the model and recompute.
    loaded, _ = load_safetensors(path)
    sd = OrderedDict((k[len("state."):], v) for k, v in loaded.items() if k.startswith("state."))
    model.load_state_dict(sd)
    with torch.no_grad():
        again = model(loaded["input"])
    assert torch.equal(again, loaded["logits"]), name + ": reloaded logits differ"
    return path


# ---------------------------------------------------------------------------------------------------------------
def check_twin_against_torchvision() -> None:
    tv = torchvision.models.densenet121()
    ref = DenseNetRef(**VARIANTS["densenet121"])
    tv_sd, ref_sd = tv.state_dict(), ref.state_dict()
    assert list(tv_sd.keys()) == list(ref_sd.keys()), "densenet121: DenseNetRef keys differ from torchvision"
    for k in tv_sd:
        assert tv_sd[k].shape == ref_sd[k].shape, "densenet121: %s shape %s vs %s" % (k, ref_sd[k].shape, tv_sd[k].shape)
    assert count_parameters(tv) == count_parameters(ref) == 7978856, \
        "densenet121 params: torchvision %d, DenseNetRef %d" % (count_parameters(tv), count_parameters(ref))
    torch.manual_seed(1)
    randomize_bn_and_bias(tv)
    ref.load_state_dict(tv.state_dict())
    tv.eval()
    ref.eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        d = (tv(x) - ref(x)).abs().max().item()
    assert d == 0.0, "densenet121: DenseNetRef logits differ from torchvision by %g" % d
    print("twin check: DenseNetRef(imagenet) == torchvision densenet121: %d keys, %d params, logits identical"
          % (len(tv_sd), count_parameters(tv)))


def parameter_table() -> List[str]:
    mismatches = []
    print("\n%-18s %14s %14s  %s" % ("variant", "expected", "got", ""))
    for name, expected in EXPECTED_PARAMS.items():
        got = count_parameters(build_variant(name))
        ok = got == expected
        if not ok:
            mismatches.append("%s: expected %d, got %d" % (name, expected, got))
        print("%-18s %14s %14s  %s" % (name, format(expected, ","), format(got, ","), "ok" if ok else "MISMATCH"))
    # torchvision's own classes for the four it ships
    for name in ("densenet121", "densenet169", "densenet201", "densenet161"):
        tvn = count_parameters(getattr(torchvision.models, name)())
        if tvn != EXPECTED_PARAMS[name]:
            mismatches.append("%s: torchvision has %d" % (name, tvn))
    return mismatches


def print_macs() -> None:
    c = count_macs(build_variant("densenet121"), (3, 224, 224))
    print("\ndensenet121 @ 3x224x224, per image: MACs (conv + linear) = %s (%.4f G; conv %s, linear %s); "
          "torchvision documents %.3f GFLOPS" % (format(c["macs"], ","), c["macs"] / 1e9, format(c["conv"], ","),
                                                 format(c["linear"], ","), TORCHVISION_DENSENET121_MACS_DOC / 1e9))
    print("  not counted in MACs: BN output elements %s, pool window reads %s"
          % (format(c["bn_elements"], ","), format(c["pool_reads"], ",")))
    assert abs(c["macs"] - TORCHVISION_DENSENET121_MACS_DOC) < 0.001e9, "densenet121 MACs do not round to 2.834 G"


# ---------------------------------------------------------------------------------------------------------------
def tiny_imagenet() -> DenseNet:
    torch.manual_seed(0)
    model = DenseNet(growth_rate=8, block_config=(2, 3, 2, 2), num_init_features=16, bn_size=4, num_classes=10)
    randomize_bn_and_bias(model)
    return model.eval()


TINY_CIFAR_BC = dict(growth_rate=6, block_config=(3, 3, 3), num_init_features=12, bn_size=4, compression=0.5,
                     drop_rate=0.0, num_classes=10, in_channels=3, stem="cifar")
TINY_CIFAR_BASIC = dict(growth_rate=5, block_config=(2, 2, 2), num_init_features=8, bn_size=None, compression=1.0,
                        drop_rate=0.0, num_classes=7, in_channels=1, stem="cifar")


def ref_config(cfg: dict) -> str:
    return config_json(cfg["growth_rate"], cfg["block_config"], cfg["num_init_features"], cfg["bn_size"],
                       cfg["compression"], cfg["drop_rate"], cfg["num_classes"], cfg["in_channels"], cfg["stem"])


def tiny_cifar_bc() -> DenseNetRef:
    torch.manual_seed(1)
    model = DenseNetRef(**TINY_CIFAR_BC)
    randomize_bn_and_bias(model)
    return model


def write_small_fixtures() -> None:
    os.makedirs(MODELS_DIR, exist_ok=True)
    imagenet_taps = ["features.pool0", "features.denseblock1", "features.transition1", "features.norm5"]
    cifar_taps = ["features.conv0", "features.denseblock1", "features.transition1", "features.norm5"]

    # 1. tiny torchvision DenseNet (ImageNet stem)
    model = tiny_imagenet()
    torch.manual_seed(100)
    x = torch.randn(2, 3, 64, 64)
    eval_fixture("tiny-imagenet.safetensors", model, x, imagenet_taps,
                 config_json(8, (2, 3, 2, 2), 16, 4, 0.5, 0.0, 10, 3, "imagenet"))

    # 4. the same weights as .pth: current names (zip format) and legacy names with DataParallel's prefix
    model = tiny_imagenet()
    torch.save(model.state_dict(), os.path.join(MODELS_DIR, "tiny-imagenet.pth"))
    torch.save(to_legacy_keys(model.state_dict()), os.path.join(MODELS_DIR, "tiny-imagenet-legacy.pth"))

    # 2. DenseNet-BC, CIFAR stem
    model = tiny_cifar_bc()
    torch.manual_seed(101)
    x = torch.randn(3, 3, 32, 32)
    eval_fixture("tiny-cifar-bc.safetensors", model, x, cifar_taps, ref_config(TINY_CIFAR_BC))

    # 3. basic DenseNet (no bottleneck, no compression), grayscale input
    torch.manual_seed(2)
    model = DenseNetRef(**TINY_CIFAR_BASIC)
    randomize_bn_and_bias(model)
    torch.manual_seed(102)
    x = torch.randn(2, 1, 28, 28)
    eval_fixture("tiny-cifar-basic.safetensors", model, x, cifar_taps, ref_config(TINY_CIFAR_BASIC))

    # 5. training parity: the model of (2) and the torchvision model of (1)
    write_train_fixtures()


SGD = dict(lr=0.1, momentum=0.9, weight_decay=1e-4, nesterov=True, dampening=0.0)  # paper Sec. 4.2
SGD_STEPS = 10


def sgd_trajectory(make_model, x: torch.Tensor, labels: torch.Tensor, dtype, noise_seed=None, noise=0.0):
    """SGD_STEPS steps of SGD on one batch in `dtype`; with noise_seed, every parameter is first scaled by
    1 + noise * N(0, 1). Returns the losses and the trained model."""
    model = make_model().train().to(dtype)
    if noise_seed is not None:
        g = torch.Generator().manual_seed(noise_seed)
        with torch.no_grad():
            for p in model.parameters():
                p.mul_(1 + noise * torch.randn(p.shape, generator=g, dtype=dtype))
    opt = torch.optim.SGD(model.parameters(), **SGD)
    losses = []
    for _ in range(SGD_STEPS):
        opt.zero_grad()
        step_loss = F.cross_entropy(model(x.to(dtype)), labels)
        step_loss.backward()
        opt.step()
        losses.append(step_loss.item())
    return losses, model


def trajectory_spread(make_model, x: torch.Tensor, labels: torch.Tensor) -> float:
    """Largest change of the final weights over 12 float64 runs whose start is perturbed by 3e-7 (relative, about
    3x float32 rounding). SGD on one small batch is event-driven chaotic: a ReLU that flips sign moves the
    trajectory by 1e-4 and more within two steps (seen: our native float32 run, 1e-7 from float64 for 8 steps,
    then 2.6e-4), so a reference trajectory is only usable if rounding-sized perturbations do not tip it."""
    _, base = sgd_trajectory(make_model, x, labels, torch.float64)
    worst = 0.0
    for seed in range(12):
        _, m = sgd_trajectory(make_model, x, labels, torch.float64, noise_seed=seed, noise=3e-7)
        worst = max(worst, max((a - b).abs().max().item() for a, b in zip(base.parameters(), m.parameters())))
    return worst


def stable_batch(seed: int, make_model, shape, labels=None):
    """The first batch from seed, seed+1, ... whose SGD trajectory does not tip (trajectory_spread < 1e-5)."""
    while True:
        torch.manual_seed(seed)
        x = torch.randn(*shape)
        y = labels if labels is not None else torch.randint(0, 10, (shape[0],))
        spread = trajectory_spread(make_model, x, y)
        if spread < 1e-5:
            print(f"  batch seed {seed}: trajectory spread {spread:.1e}")
            return x, y
        print(f"  batch seed {seed}: the trajectory tips (spread {spread:.1e}); trying the next seed")
        seed += 1


def write_train_fixture(file: str, make_model, x: torch.Tensor, labels: torch.Tensor, config: str) -> None:
    """One train-mode forward/backward (grads of every parameter and of the input, buffers after the step) and a
    10-step SGD trajectory on the same batch with the final weights. `make_model` rebuilds the same start state."""
    model = make_model().train()
    tensors = state_tensors(model)
    tensors["input"] = x.clone()
    tensors["labels"] = labels

    xg = x.clone().requires_grad_(True)
    logits = model(xg)
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    tensors["logits"] = logits.detach().clone()
    tensors["loss"] = loss.detach().clone()
    for k, p in model.named_parameters():
        tensors["grad." + k] = p.grad.detach().clone()
    tensors["grad.input"] = xg.grad.detach().clone()
    for k, b in model.named_buffers():
        tensors["after." + k] = b.detach().clone()

    # 10 SGD steps on the same batch from the same starting state (step 1's loss is `loss` above), run in
    # float64: the exact trajectory is the reference every float32 implementation is held to (the batch is
    # chosen by stable_batch so that it does not tip on rounding). torch's float32 losses are kept as well.
    for dtype, suffix in [(torch.float64, ""), (torch.float32, ".f32")]:
        losses, model = sgd_trajectory(make_model, x, labels, dtype)
        assert abs(losses[0] - loss.item()) < 1e-5, "SGD trajectory's first loss differs from the single step"
        tensors["sgd.losses" + suffix] = torch.tensor(losses, dtype=torch.float32)
        if suffix == "":
            for k, v in model.state_dict().items():
                tensors["sgd.final." + k] = v.detach().clone().to(v.dtype if not v.is_floating_point() else torch.float32)
            model.eval()
            with torch.no_grad():
                tensors["sgd.logits.eval"] = model(x.to(dtype)).float()

    save_safetensors(os.path.join(MODELS_DIR, file), tensors, OrderedDict([
        ("config", config), ("command", COMMAND), ("mode", "train"),
        ("loss", "cross_entropy, mean over the batch"),
        ("sgd", json.dumps(dict(SGD, steps=SGD_STEPS, batch="the same input/labels every step",
                               dtype="float64 (sgd.*); torch float32 losses in sgd.losses.f32"))),
        ("torch", torch.__version__), ("torchvision", torchvision.__version__)]))


def write_train_fixtures() -> None:
    # batches checked by stable_batch: earlier 32x32 ones tipped on float32 rounding at step 5 (hand-picked
    # labels) and at step 8 (seed 103), parting torch's own, or our native backend's, float32 run from float64 by
    # 1e-4; at 32x32 none of seeds 103-110 was stable, at 16x16 some are (fewer ReLUs to flip)
    x, labels = stable_batch(103, tiny_cifar_bc, (4, 3, 16, 16))
    write_train_fixture("tiny-cifar-bc-train.safetensors", tiny_cifar_bc, x, labels, ref_config(TINY_CIFAR_BC))
    # The ImageNet-stem model has no stable batch among those tried (64x64 batch 3 and 8, 32x32; seeds 104-137):
    # its max pool and the 2x2 (or 1x1) maps of its last block make every one tip under stable_batch's test.
    # This batch (spread 1.8e-4) is kept because every backend matches it today; it is the fragile one.
    torch.manual_seed(104)
    x = torch.randn(3, 3, 64, 64)
    labels = torch.tensor([1, 4, 9], dtype=torch.int64)
    write_train_fixture("tiny-imagenet-train.safetensors", lambda: tiny_imagenet().train(), x, labels,
                        config_json(8, (2, 3, 2, 2), 16, 4, 0.5, 0.0, 10, 3, "imagenet"))


def write_large_fixtures() -> None:
    os.makedirs(LARGE_DIR, exist_ok=True)
    torch.manual_seed(0)
    model = torchvision.models.densenet121()
    randomize_bn_and_bias(model)
    model.eval()
    torch.save(model.state_dict(), os.path.join(LARGE_DIR, "densenet121.pth"))
    torch.save(to_legacy_keys(model.state_dict()), os.path.join(LARGE_DIR, "densenet121-legacy.pth"))
    torch.manual_seed(200)
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        logits = model(x)
    save_safetensors(os.path.join(LARGE_DIR, "densenet121-io.safetensors"),
                     OrderedDict([("input", x), ("logits", logits)]), OrderedDict([
                         ("config", config_json(32, (6, 12, 24, 16), 64, 4, 0.5, 0.0, 1000, 3, "imagenet")),
                         ("command", COMMAND + " --large"), ("mode", "eval"), ("weights", "densenet121.pth"),
                         ("torch", torch.__version__), ("torchvision", torchvision.__version__)]))
    torch.onnx.export(model, x, os.path.join(LARGE_DIR, "densenet121.onnx"), opset_version=13,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--large", action="store_true", help="also write densenet121 files into test/fixtures/large/")
    args = ap.parse_args()
    torch.set_num_threads(1)  # the same reduction order every run, so the small fixtures are byte-identical

    check_twin_against_torchvision()
    mismatches = parameter_table()
    print_macs()
    write_small_fixtures()
    print("\nwritten:")
    for f in sorted(os.listdir(MODELS_DIR)):
        print("  %-40s %9d bytes" % (os.path.join("test/fixtures/models", f), os.path.getsize(os.path.join(MODELS_DIR, f))))
    if args.large:
        torch.set_num_threads(os.cpu_count() or 1)
        write_large_fixtures()
        for f in sorted(os.listdir(LARGE_DIR)):
            print("  %-40s %9d bytes" % (os.path.join("test/fixtures/large", f), os.path.getsize(os.path.join(LARGE_DIR, f))))
    if mismatches:
        print("\nPARAMETER COUNT MISMATCHES (spec vs definition):\n  " + "\n  ".join(mismatches))
        sys.exit(1)


if __name__ == "__main__":
    main()
