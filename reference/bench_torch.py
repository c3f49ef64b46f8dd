"""PyTorch's side of `npm run bench` and `npm run bench:memory`: training steps of a DenseNet from the twin in
densenet_ref.py (the same model as ours), timed and with the process's peak RSS. One configuration per process,
so the peak RSS is this configuration's alone. Prints one JSON object.

  /usr/bin/python3 reference/bench_torch.py --model densenet-bc-100 --batch 64 --size 32 --steps 10 \
      [--threads 2] [--memory-efficient] [--warmup 2]

Run it with MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=68719476736 MALLOC_TOP_PAD_=1073741824 for PyTorch's best
speed on these machines (DESIGN.md: glibc otherwise returns and re-faults freed memory every step).
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from densenet_ref import DenseNetRef, VARIANTS  # noqa: E402


# depths the memory benchmark needs that are not named variants (DenseNet-BC L=190 with k=12)
EXTRA = {"densenet-bc-190-k12": dict(growth_rate=12, block_config=(31, 31, 31), num_init_features=24, bn_size=4,
                                     compression=0.5, num_classes=10, stem="cifar")}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="densenet-bc-100")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--size", type=int, default=32)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: PyTorch's default)")
    ap.add_argument("--memory-efficient", action="store_true")
    a = ap.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    cfg = dict(VARIANTS.get(a.model) or EXTRA[a.model])
    cfg["memory_efficient"] = a.memory_efficient
    model = DenseNetRef(**cfg).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-4)
    x = torch.randn(a.batch, cfg.get("in_channels", 3), a.size, a.size)
    y = torch.randint(0, cfg["num_classes"], (a.batch,))
    times = []
    for i in range(a.warmup + a.steps):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        if i >= a.warmup:
            times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    print(json.dumps({
        "model": a.model, "batch": a.batch, "size": a.size, "memory_efficient": a.memory_efficient,
        "threads": torch.get_num_threads(), "torch": torch.__version__,
        "step_s": med, "images_per_s": a.batch / med,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }))


if __name__ == "__main__":
    main()
