"""PyTorch twin of the TypeScript DenseNet family (src/models/densenet.ts): the definitions the fixtures come from.

What it is: `DenseNetRef`, one class for both stems of Huang et al., "Densely Connected Convolutional Networks"
(CVPR 2017, arXiv 1608.06993), with torchvision's module and parameter names, so a state_dict of either one
loads into the other (for the ImageNet stem with a bottleneck and compression 0.5 the key lists are identical to
torchvision.models.DenseNet; make_fixtures.py checks this). Plus the named variants, the legacy-key renamer and a
small hook-based MAC counter.

What it is not: a training library, or a replacement for torchvision on ImageNet models (the fixtures use
torchvision's own class for those). No memory-efficient checkpointing (it changes speed, not numbers).

Where the math comes from:
- ImageNet stem (paper Table 1, torchvision): conv0 7x7/2 pad 3 -> norm0 -> relu0 -> pool0 max 3/2 pad 1.
- CIFAR stem (paper Sec. 3, "Implementation details"): conv0 3x3/1 pad 1 only, out channels = 2k for DenseNet-BC,
  16 for the basic DenseNet.
- Layer H_l (Sec. 3 "Composite function", "Bottleneck layers"): BN-ReLU-Conv(3x3, k); with a bottleneck
  (DenseNet-B) BN-ReLU-Conv(1x1, bnSize*k) first. Dropout on the layer's k new features, training only, as
  torchvision does (F.dropout after conv2; the paper's Lua code also drops after the bottleneck and transition convs).
- Dense block (Eq. 2): x_l = H_l([x_0, ..., x_{l-1}]), the block returns the concatenation of all of them.
- Transition (Sec. 3 "Pooling layers", "Compression"): BN-ReLU-Conv 1x1 to floor(theta*m) channels, avg pool 2/2.
- Head: norm5 -> relu -> global average pool -> flatten -> classifier (Linear with bias).
- Init: torchvision's (kaiming normal fan-in for convs, BN weight 1 bias 0, Linear bias 0).
"""
import math
import re
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.utils.checkpoint as cp


class DenseLayerRef(nn.Module):
    """H_l. With bn_size: norm1 relu1 conv1 (1x1 -> bn_size*k), norm2 relu2 conv2 (3x3 -> k).
    Without (basic DenseNet): norm1 relu1 conv1 (3x3 pad 1 -> k)."""

    def __init__(self, in_features: int, growth_rate: int, bn_size: Optional[int], drop_rate: float,
                 memory_efficient: bool = False) -> None:
        super().__init__()
        self.drop_rate = float(drop_rate)
        self.memory_efficient = memory_efficient
        self.bottleneck = bn_size is not None
        self.norm1 = nn.BatchNorm2d(in_features)
        self.relu1 = nn.ReLU(inplace=False)
        if self.bottleneck:
            width = bn_size * growth_rate
            self.conv1 = nn.Conv2d(in_features, width, kernel_size=1, stride=1, bias=False)
            self.norm2 = nn.BatchNorm2d(width)
            self.relu2 = nn.ReLU(inplace=False)
            self.conv2 = nn.Conv2d(width, growth_rate, kernel_size=3, stride=1, padding=1, bias=False)
        else:
            self.conv1 = nn.Conv2d(in_features, growth_rate, kernel_size=3, stride=1, padding=1, bias=False)

    def _drop(self, x: torch.Tensor) -> torch.Tensor:
        return F.dropout(x, p=self.drop_rate, training=self.training) if self.drop_rate > 0 else x

    def bottleneck_input(self, inputs: List[torch.Tensor]) -> torch.Tensor:
        """norm1-relu1-conv1 of the concatenation: what memory_efficient=True recomputes in backward."""
        return self.conv1(self.relu1(self.norm1(torch.cat(inputs, 1))))

    def forward(self, inputs: List[torch.Tensor]) -> torch.Tensor:  # inputs: the block's feature maps so far
        if self.memory_efficient and any(t.requires_grad for t in inputs):
            # torchvision's memory_efficient=True: gradient checkpointing of concat + BN + ReLU + conv1
            out = cp.checkpoint(lambda *xs: self.bottleneck_input(list(xs)), *inputs)
        else:
            out = self.bottleneck_input(inputs)
        if self.bottleneck:
            out = self.conv2(self.relu2(self.norm2(out)))
        return self._drop(out)  # [N, k, H, W]


class DenseBlockRef(nn.ModuleDict):
    """Eq. 2: each layer sees the concatenation of the block input and every earlier layer's output."""

    def __init__(self, num_layers: int, in_features: int, growth_rate: int, bn_size: Optional[int],
                 drop_rate: float, memory_efficient: bool = False) -> None:
        super().__init__()
        for i in range(num_layers):
            self.add_module("denselayer%d" % (i + 1),
                            DenseLayerRef(in_features + i * growth_rate, growth_rate, bn_size, drop_rate, memory_efficient))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = [x]
        for _, layer in self.items():
            features.append(layer(features))
        return torch.cat(features, 1)  # [N, C_in + L*k, H, W]


class TransitionRef(nn.Sequential):
    def __init__(self, in_features: int, out_features: int) -> None:
        super().__init__()
        self.norm = nn.BatchNorm2d(in_features)
        self.relu = nn.ReLU(inplace=False)
        self.conv = nn.Conv2d(in_features, out_features, kernel_size=1, stride=1, bias=False)
        self.pool = nn.AvgPool2d(kernel_size=2, stride=2)


def transition_features(channels: int, compression: float) -> int:
    """floor(theta * m), the paper's compression (Sec. 3); torchvision's C // 2 when theta = 0.5."""
    return int(math.floor(channels * compression))


class DenseNetRef(nn.Module):
    def __init__(self, growth_rate: int, block_config: Sequence[int], num_init_features: int,
                 bn_size: Optional[int] = 4, compression: float = 0.5, drop_rate: float = 0.0,
                 num_classes: int = 1000, in_channels: int = 3, stem: str = "imagenet",
                 memory_efficient: bool = False) -> None:
        super().__init__()
        if stem not in ("imagenet", "cifar"):
            raise ValueError("stem must be 'imagenet' or 'cifar', got %r" % (stem,))
        if stem == "imagenet":
            self.features = nn.Sequential(OrderedDict([
                ("conv0", nn.Conv2d(in_channels, num_init_features, kernel_size=7, stride=2, padding=3, bias=False)),
                ("norm0", nn.BatchNorm2d(num_init_features)),
                ("relu0", nn.ReLU(inplace=False)),
                ("pool0", nn.MaxPool2d(kernel_size=3, stride=2, padding=1)),
            ]))
        else:
            self.features = nn.Sequential(OrderedDict([
                ("conv0", nn.Conv2d(in_channels, num_init_features, kernel_size=3, stride=1, padding=1, bias=False)),
            ]))
        c = num_init_features
        for i, num_layers in enumerate(block_config):
            self.features.add_module("denseblock%d" % (i + 1),
                                     DenseBlockRef(num_layers, c, growth_rate, bn_size, drop_rate, memory_efficient))
            c += num_layers * growth_rate
            if i != len(block_config) - 1:
                out = transition_features(c, compression)
                self.features.add_module("transition%d" % (i + 1), TransitionRef(c, out))
                c = out
        self.features.add_module("norm5", nn.BatchNorm2d(c))
        self.classifier = nn.Linear(c, num_classes)
        self.num_features = c
        for m in self.modules():  # torchvision's init
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.Linear):
                nn.init.constant_(m.bias, 0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: [N, in_channels, H, W] -> [N, num_classes]
        out = F.relu(self.features(x))
        out = torch.flatten(F.adaptive_avg_pool2d(out, (1, 1)), 1)
        return self.classifier(out)


# Named variants: the paper's numbers (Table 1 for ImageNet, Table 2 for CIFAR), 1000 / 10 classes.
VARIANTS: Dict[str, dict] = {
    "densenet121": dict(growth_rate=32, block_config=(6, 12, 24, 16), num_init_features=64, bn_size=4,
                        compression=0.5, num_classes=1000, stem="imagenet"),
    "densenet169": dict(growth_rate=32, block_config=(6, 12, 32, 32), num_init_features=64, bn_size=4,
                        compression=0.5, num_classes=1000, stem="imagenet"),
    "densenet201": dict(growth_rate=32, block_config=(6, 12, 48, 32), num_init_features=64, bn_size=4,
                        compression=0.5, num_classes=1000, stem="imagenet"),
    "densenet161": dict(growth_rate=48, block_config=(6, 12, 36, 24), num_init_features=96, bn_size=4,
                        compression=0.5, num_classes=1000, stem="imagenet"),
    "densenet264": dict(growth_rate=32, block_config=(6, 12, 64, 48), num_init_features=64, bn_size=4,
                        compression=0.5, num_classes=1000, stem="imagenet"),
    "densenet40": dict(growth_rate=12, block_config=(12, 12, 12), num_init_features=16, bn_size=None,
                       compression=1.0, num_classes=10, stem="cifar"),
    "densenet100-k12": dict(growth_rate=12, block_config=(32, 32, 32), num_init_features=16, bn_size=None,
                            compression=1.0, num_classes=10, stem="cifar"),
    "densenet100-k24": dict(growth_rate=24, block_config=(32, 32, 32), num_init_features=16, bn_size=None,
                            compression=1.0, num_classes=10, stem="cifar"),
    "densenet-bc-100": dict(growth_rate=12, block_config=(16, 16, 16), num_init_features=24, bn_size=4,
                            compression=0.5, num_classes=10, stem="cifar"),
    "densenet-bc-250": dict(growth_rate=24, block_config=(41, 41, 41), num_init_features=48, bn_size=4,
                            compression=0.5, num_classes=10, stem="cifar"),
    "densenet-bc-190": dict(growth_rate=40, block_config=(31, 31, 31), num_init_features=80, bn_size=4,
                            compression=0.5, num_classes=10, stem="cifar"),
}


def build_variant(name: str) -> DenseNetRef:
    return DenseNetRef(**VARIANTS[name])


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


_MODERN_LAYER_KEY = re.compile(r"^(.*denselayer\d+\.(?:norm|relu|conv))([12])\.(weight|bias|running_mean|running_var)$")


def to_legacy_keys(state_dict: "OrderedDict[str, torch.Tensor]", prefix: str = "module.") -> "OrderedDict[str, torch.Tensor]":
    """Inverse of torchvision's _load_state_dict renaming: `denselayer1.norm1.weight` -> `denselayer1.norm.1.weight`,
    then `prefix` (DataParallel's `module.`). num_batches_tracked is dropped: checkpoints from before PyTorch 0.4
    (the era of these names, e.g. torchvision's densenet121-a639ec97.pth) do not have it."""
    out: "OrderedDict[str, torch.Tensor]" = OrderedDict()
    for key, value in state_dict.items():
        if key.endswith("num_batches_tracked"):
            continue
        m = _MODERN_LAYER_KEY.match(key)
        if m:
            key = "%s.%s.%s" % (m.group(1), m.group(2), m.group(3))
        out[prefix + key] = value
    return out


def count_macs(model: nn.Module, input_shape: Tuple[int, ...]) -> Dict[str, int]:
    """Multiply-accumulates per image of one forward pass, by op kind, counted with forward hooks.
    conv: out elements * (C_in / groups) * kh * kw; linear: in * out features. BN, ReLU, pooling and the concat
    are listed separately ('other_elementwise': BN/ReLU outputs + pooling window reads) and are NOT part of the
    'macs' total, which follows torchvision's documented GFLOPS (conv + linear MACs)."""
    counts = {"conv": 0, "linear": 0, "bn_elements": 0, "pool_reads": 0}
    hooks = []

    def conv_hook(m: nn.Conv2d, inp: List[torch.Tensor], out: torch.Tensor) -> None:
        kh, kw = m.kernel_size
        counts["conv"] += (out.numel() // out.shape[0]) * (m.in_channels // m.groups) * kh * kw

    def linear_hook(m: nn.Linear, inp: List[torch.Tensor], out: torch.Tensor) -> None:
        counts["linear"] += m.in_features * m.out_features

    def bn_hook(m: nn.Module, inp: List[torch.Tensor], out: torch.Tensor) -> None:
        counts["bn_elements"] += out.numel() // out.shape[0]

    def pool_hook(m: nn.Module, inp: List[torch.Tensor], out: torch.Tensor) -> None:
        k = m.kernel_size if isinstance(m.kernel_size, int) else m.kernel_size[0]
        counts["pool_reads"] += (out.numel() // out.shape[0]) * k * k

    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            hooks.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            hooks.append(m.register_forward_hook(linear_hook))
        elif isinstance(m, nn.BatchNorm2d):
            hooks.append(m.register_forward_hook(bn_hook))
        elif isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)):
            hooks.append(m.register_forward_hook(pool_hook))
    was_training = model.training
    model.eval()
    with torch.no_grad():
        model(torch.zeros((1,) + tuple(input_shape)))
    model.train(was_training)
    for h in hooks:
        h.remove()
    counts["macs"] = counts["conv"] + counts["linear"]
    return counts
