"""Writes test/fixtures/models/gradcam-tiny-imagenet.json: Grad-CAM as PyTorch computes it, for the Grad-CAM parity test
(test/vision/gradcam-parity.test.ts).

Run from the repository root with the system Python (torch 1.13, torchvision 0.14):

    /usr/bin/python3 reference/make_gradcam_fixture.py

The model is torchvision's DenseNet(growth_rate=8, block_config=(2,3,2,2), num_init_features=16, bn_size=4,
num_classes=10) with the weights of test/fixtures/models/tiny-imagenet.pth (random, with non-trivial batch-norm
statistics), in eval mode. The input [1,3,128,160] is a closed formula (so the fixture need not carry it):
    x[c][i][j] = sin(0.05 (i + 1)(c + 1) + 0.03 j) + 0.5 cos(0.11 j - 0.07 i c)     (float64, then float32)
For each class c of CLASSES, with A = the output of features.denseblock4 ([1,34,4,5], before norm5) captured by a
forward hook and its gradient by A.register_hook:
    grad = d logits[c] / d A;  alpha = grad.mean((2, 3));  cam = relu((alpha[:, :, None, None] * A).sum(1))
    heat = cam / cam.max()  (zeros if the max is 0)
What it is not: pytorch-grad-cam (not installed here); its GradCAM computes the same alpha and cam, then min-max
normalises and resizes with OpenCV.
"""
import json
import math
import os

import torch
from torchvision.models import DenseNet

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS_DIR = os.path.join(ROOT, "test", "fixtures", "models")
OUT = os.path.join(MODELS_DIR, "gradcam-tiny-imagenet.json")
C, H, W = 3, 128, 160
CLASSES = [4, 3, 2]  # the arg-max class, another, one whose map is all zero (ReLU)


def formula_input() -> torch.Tensor:
    x = torch.empty(1, C, H, W, dtype=torch.float64)
    for c in range(C):
        for i in range(H):
            for j in range(W):
                x[0, c, i, j] = math.sin(0.05 * (i + 1) * (c + 1) + 0.03 * j) + 0.5 * math.cos(0.11 * j - 0.07 * i * c)
    return x.float()


def f32(t: torch.Tensor) -> list:
    """float32 values with 9 significant digits (enough to round-trip a float32), flattened."""
    return [float(f"{v:.9g}") for v in t.flatten().tolist()]


def main() -> None:
    torch.set_num_threads(1)
    model = DenseNet(growth_rate=8, block_config=(2, 3, 2, 2), num_init_features=16, bn_size=4, num_classes=10)
    model.load_state_dict(torch.load(os.path.join(MODELS_DIR, "tiny-imagenet.pth")), strict=True)
    model.eval()
    x = formula_input()
    cases = []
    for cls in CLASSES:
        saved = {}

        def hook(m, inp, out):
            saved["A"] = out
            out.register_hook(lambda g: saved.__setitem__("grad", g))

        h = model.features.denseblock4.register_forward_hook(hook)
        logits = model(x)
        h.remove()
        logits[0, cls].backward()
        a, g = saved["A"].detach(), saved["grad"]
        alpha = g.mean(dim=(2, 3))
        cam = torch.relu((alpha[:, :, None, None] * a).sum(dim=1))[0]
        heat = cam / cam.max() if cam.max() > 0 else cam
        cases.append({
            "class": cls,
            "logits": f32(logits[0]),
            "grad": f32(g[0]),
            "heat": f32(heat),
        })
        print(f"class {cls}: logit {logits[0, cls].item():.5f}, cam max {cam.max().item():.5f}, "
              f"heat {[round(v, 4) for v in heat.flatten().tolist()]}")
    doc = {
        "command": "/usr/bin/python3 reference/make_gradcam_fixture.py",
        "model": "tiny-imagenet.pth",
        "input": [1, C, H, W],
        "map": list(a.shape[1:]),
        "activation": f32(a[0]),
        "cases": cases,
    }
    with open(OUT, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
