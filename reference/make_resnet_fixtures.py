"""Writes the ResNet parity fixtures of test/fixtures/models/resnet-* (and, with --large, test/fixtures/large/resnet18.*).

Run from the repository root with the system Python (torch 1.13, torchvision 0.14):

    /usr/bin/python3 reference/make_resnet_fixtures.py [--large]

The models (src/models/resnet.ts is their TypeScript twin):
- PreActResNet: the CIFAR pre-activation ResNet of He et al. 2016 ("Identity Mappings in Deep Residual Networks"):
  3x3 conv, stages of pre-act blocks (BN-ReLU-conv ...) + shortcut (identity, or a 1x1 projection of the
  pre-activated input where the shape changes), final BN-ReLU, global average pool, fc. Depth 6n+2 (basic) or 9n+2.
- NarrowResNet: torchvision's ResNet class (its BasicBlock/Bottleneck, _make_layer and forward) with chosen stage
  widths, so fixtures stay small; with widths (64,128,256,512) it IS torchvision's resnet (checked below).
Steps: twin checks against torchvision, the parameter table (asserted), the key-list JSON, then the fixtures.
What it is not: the DenseNet fixtures (make_fixtures.py, whose safetensors writer this reuses).
"""
import argparse
import json
import os
import sys
from collections import OrderedDict
from typing import Callable, List, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
import torchvision.models.resnet as tvr

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import LARGE_DIR, MODELS_DIR, load_safetensors, randomize_bn_and_bias, save_safetensors  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMMAND = "/usr/bin/python3 reference/make_resnet_fixtures.py"

# trainable parameters; resnet18/50 are torchvision's published figures
# (pre-act with 1x1 projections: 192 fewer than the post-act ResNet-20 of He et al. 2015, whose 272,474 uses option A)
EXPECTED_PARAMS = OrderedDict([("resnet20", 272282), ("resnet56", 855578), ("resnet110", 1730522),
                               ("resnet164", 1703258), ("resnet1001", 10327706),
                               ("resnet18", 11689512), ("resnet50", 25557032)])


def conv3x3(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, stride, 1, bias=False)


class PreActBlock(nn.Module):
    """BN-ReLU-conv3x3(stride)-BN-ReLU-conv3x3 + shortcut (He et al. 2016, Fig. 1b / 4e)."""
    expansion = 1

    def __init__(self, cin: int, planes: int, stride: int):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin)
        self.conv1 = conv3x3(cin, planes, stride)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes)
        self.shortcut = nn.Conv2d(cin, planes, 1, stride, bias=False) if stride != 1 or cin != planes else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = F.relu(self.bn1(x))
        sc = x if self.shortcut is None else self.shortcut(a)  # the projection sees the pre-activated input
        return self.conv2(F.relu(self.bn2(self.conv1(a)))) + sc


class PreActBottleneck(nn.Module):
    """BN-ReLU-conv1x1-BN-ReLU-conv3x3(stride)-BN-ReLU-conv1x1(4x) + shortcut (ResNet-164 of He et al. 2016)."""
    expansion = 4

    def __init__(self, cin: int, planes: int, stride: int):
        super().__init__()
        out = planes * 4
        self.bn1 = nn.BatchNorm2d(cin)
        self.conv1 = nn.Conv2d(cin, planes, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes, stride)
        self.bn3 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, out, 1, bias=False)
        self.shortcut = nn.Conv2d(cin, out, 1, stride, bias=False) if stride != 1 or cin != out else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = F.relu(self.bn1(x))
        sc = x if self.shortcut is None else self.shortcut(a)
        y = self.conv2(F.relu(self.bn2(self.conv1(a))))
        return self.conv3(F.relu(self.bn3(y))) + sc


class PreActResNet(nn.Module):
    def __init__(self, block: str, layers: Sequence[int], widths: Sequence[int] = (16, 32, 64), num_classes: int = 10,
                 in_channels: int = 3):
        super().__init__()
        cls = PreActBlock if block == "basic" else PreActBottleneck
        self.conv1 = conv3x3(in_channels, widths[0])
        c = widths[0]
        for i, (n, w) in enumerate(zip(layers, widths)):
            blocks = []
            for j in range(n):
                blocks.append(cls(c, w, 2 if (i > 0 and j == 0) else 1))
                c = w * cls.expansion
            setattr(self, "layer%d" % (i + 1), nn.Sequential(*blocks))
        self.num_stages = len(layers)
        self.bn = nn.BatchNorm2d(c)
        self.fc = nn.Linear(c, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv1(x)
        for i in range(self.num_stages):
            x = getattr(self, "layer%d" % (i + 1))(x)
        x = F.relu(self.bn(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class NarrowResNet(tvr.ResNet):
    """torchvision's ResNet with stage widths of our choosing (its __init__ hard-codes 64..512) and any input
    channels; blocks, _make_layer and forward are torchvision's own code."""

    def __init__(self, block, layers: Sequence[int], widths: Sequence[int], num_classes: int, in_channels: int = 3):
        nn.Module.__init__(self)
        self._norm_layer = nn.BatchNorm2d
        self.inplanes, self.dilation, self.groups, self.base_width = widths[0], 1, 1, 64
        self.conv1 = nn.Conv2d(in_channels, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, widths[0], layers[0])
        self.layer2 = self._make_layer(block, widths[1], layers[1], stride=2)
        self.layer3 = self._make_layer(block, widths[2], layers[2], stride=2)
        self.layer4 = self._make_layer(block, widths[3], layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(widths[3] * block.expansion, num_classes)


def count(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def config_json(kind: str, block: str, layers, widths, num_classes: int, in_channels: int) -> str:
    return json.dumps(OrderedDict([("kind", kind), ("block", block), ("layers", list(layers)), ("widths", list(widths)),
                                   ("numClasses", num_classes), ("inChannels", in_channels)]), separators=(",", ":"))


def check_twins() -> None:
    for name, block, layers in [("resnet18", tvr.BasicBlock, [2, 2, 2, 2]), ("resnet50", tvr.Bottleneck, [3, 4, 6, 3])]:
        tv = getattr(torchvision.models, name)()
        ours = NarrowResNet(block, layers, (64, 128, 256, 512), 1000)
        assert list(tv.state_dict().keys()) == list(ours.state_dict().keys()), name + ": NarrowResNet keys differ"
        torch.manual_seed(1)
        randomize_bn_and_bias(tv)
        ours.load_state_dict(tv.state_dict())
        tv.eval()
        ours.eval()
        x = torch.randn(1, 3, 64, 64)
        with torch.no_grad():
            assert torch.equal(tv(x), ours(x)), name + ": NarrowResNet logits differ from torchvision"
    print("twin check: NarrowResNet(64..512) == torchvision resnet18 / resnet50 (keys, logits)")


def parameter_table() -> List[str]:
    models = OrderedDict([
        ("resnet20", PreActResNet("basic", [3, 3, 3])), ("resnet56", PreActResNet("basic", [9, 9, 9])),
        ("resnet110", PreActResNet("basic", [18, 18, 18])), ("resnet164", PreActResNet("bottleneck", [18, 18, 18])),
        ("resnet1001", PreActResNet("bottleneck", [111, 111, 111])),
        ("resnet18", torchvision.models.resnet18()), ("resnet50", torchvision.models.resnet50())])
    bad = []
    print("\n%-10s %12s %12s" % ("variant", "expected", "got"))
    for name, m in models.items():
        got = count(m)
        print("%-10s %12s %12s %s" % (name, format(EXPECTED_PARAMS[name], ","), format(got, ","),
                                      "ok" if got == EXPECTED_PARAMS[name] else "MISMATCH"))
        if got != EXPECTED_PARAMS[name]:
            bad.append("%s: expected %d, got %d" % (name, EXPECTED_PARAMS[name], got))
    return bad


def write_keys() -> None:
    """torchvision's state_dict names and shapes, in order, for the key-name test."""
    out = OrderedDict()
    for name in ("resnet18", "resnet50"):
        out[name] = [[k, list(v.shape)] for k, v in getattr(torchvision.models, name)().state_dict().items()]
    path = os.path.join(MODELS_DIR, "resnet-torchvision-keys.json")
    with open(path, "w") as f:
        f.write(json.dumps(OrderedDict([("command", COMMAND), ("torchvision", torchvision.__version__)] +
                                       list(out.items())), separators=(",", ":")) + "\n")


def write_fixture(file: str, make: Callable[[], nn.Module], config: str, eval_x: torch.Tensor, train_x: torch.Tensor,
                  labels: torch.Tensor) -> None:
    """state.*, eval.input/eval.logits (running stats), then one train-mode step from the same state: train.input,
    train.labels, train.logits, train.loss, grad.<param>, grad.input, after.<buffer> (running stats after it)."""
    model = make().eval()
    t: "OrderedDict[str, torch.Tensor]" = OrderedDict(("state." + k, v.detach().clone())
                                                      for k, v in model.state_dict().items())
    with torch.no_grad():
        t["eval.input"], t["eval.logits"] = eval_x, model(eval_x)
    model = make().train()
    xg = train_x.clone().requires_grad_(True)
    logits = model(xg)
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    t["train.input"], t["train.labels"] = train_x, labels
    t["train.logits"], t["train.loss"] = logits.detach().clone(), loss.detach().clone()
    for k, p in model.named_parameters():
        t["grad." + k] = p.grad.detach().clone()
    t["grad.input"] = xg.grad.detach().clone()
    for k, b in model.named_buffers():
        t["after." + k] = b.detach().clone()
    path = os.path.join(MODELS_DIR, file)
    save_safetensors(path, t, OrderedDict([("config", config), ("command", COMMAND),
                                           ("loss", "cross_entropy, mean over the batch"),
                                           ("torch", torch.__version__), ("torchvision", torchvision.__version__)]))
    loaded, _ = load_safetensors(path)
    assert torch.equal(loaded["eval.logits"], t["eval.logits"]), file + ": reload differs"


def seeded(seed: int, build: Callable[[], nn.Module]) -> Callable[[], nn.Module]:
    def make() -> nn.Module:
        torch.manual_seed(seed)
        m = build()
        randomize_bn_and_bias(m)
        return m
    return make


def write_small_fixtures() -> None:
    os.makedirs(MODELS_DIR, exist_ok=True)
    write_keys()
    g = torch.Generator().manual_seed(300)
    rnd = lambda *s: torch.randn(*s, generator=g)  # noqa: E731
    # pre-act basic, depth 10: identity blocks in stage 1, projections into stages 2 and 3
    write_fixture("resnet-preact-tiny.safetensors", seeded(1, lambda: PreActResNet("basic", [2, 1, 1], (6, 12, 16))),
                  config_json("cifar-preact", "basic", [2, 1, 1], [6, 12, 16], 10, 3),
                  rnd(2, 3, 32, 32), rnd(4, 3, 32, 32), torch.tensor([3, 0, 9, 3]))
    # pre-act bottleneck, grayscale, 7 classes: a stride-1 projection into stage 1 (4 -> 16 channels), an identity
    # block in stage 2, stride-2 projections into stages 2 and 3
    write_fixture("resnet-preact-bottleneck-tiny.safetensors",
                  seeded(2, lambda: PreActResNet("bottleneck", [1, 2, 1], (4, 6, 8), 7, 1)),
                  config_json("cifar-preact", "bottleneck", [1, 2, 1], [4, 6, 8], 7, 1),
                  rnd(2, 1, 28, 28), rnd(3, 1, 28, 28), torch.tensor([6, 0, 2]))
    # torchvision's code: BasicBlock (resnet18's block) and Bottleneck (resnet50's), narrow, 5 classes
    write_fixture("resnet18-tiny.safetensors",
                  seeded(3, lambda: NarrowResNet(tvr.BasicBlock, [2, 1, 1, 1], (8, 12, 16, 24), 5)),
                  config_json("imagenet", "basic", [2, 1, 1, 1], [8, 12, 16, 24], 5, 3),
                  rnd(2, 3, 64, 64), rnd(3, 3, 48, 48), torch.tensor([4, 1, 0]))
    write_fixture("resnet50-tiny.safetensors",
                  seeded(4, lambda: NarrowResNet(tvr.Bottleneck, [1, 2, 1, 1], (4, 8, 8, 12), 5)),
                  config_json("imagenet", "bottleneck", [1, 2, 1, 1], [4, 8, 8, 12], 5, 3),
                  rnd(2, 3, 64, 64), rnd(3, 3, 48, 48), torch.tensor([2, 2, 3]))


def write_large() -> None:
    os.makedirs(LARGE_DIR, exist_ok=True)
    torch.manual_seed(0)
    model = torchvision.models.resnet18()
    randomize_bn_and_bias(model)
    model.eval()
    torch.manual_seed(201)
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        logits = model(x)
    t = OrderedDict(("state." + k, v.detach().clone()) for k, v in model.state_dict().items())
    t["eval.input"], t["eval.logits"] = x, logits
    save_safetensors(os.path.join(LARGE_DIR, "resnet18.safetensors"), t, OrderedDict([
        ("config", config_json("imagenet", "basic", [2, 2, 2, 2], [64, 128, 256, 512], 1000, 3)),
        ("command", COMMAND + " --large"), ("torch", torch.__version__), ("torchvision", torchvision.__version__)]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--large", action="store_true", help="also write test/fixtures/large/resnet18.safetensors")
    args = ap.parse_args()
    torch.set_num_threads(1)
    check_twins()
    bad = parameter_table()
    write_small_fixtures()
    if args.large:
        write_large()
    print("\nwritten:")
    for d in (MODELS_DIR, LARGE_DIR):
        for f in sorted(os.listdir(d)):
            if f.startswith("resnet"):
                print("  %-55s %9d bytes" % (os.path.relpath(os.path.join(d, f), ROOT), os.path.getsize(os.path.join(d, f))))
    if bad:
        print("\nPARAMETER COUNT MISMATCHES:\n  " + "\n  ".join(bad))
        sys.exit(1)


if __name__ == "__main__":
    main()
