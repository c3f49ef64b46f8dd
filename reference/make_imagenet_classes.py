# Writes src/vision/imagenet-classes.ts: the 1000 ImageNet-1k class names in torchvision 0.14's order
# (torchvision.models._meta._IMAGENET_CATEGORIES, the `categories` of every torchvision ImageNet weights entry).
# Run from the repository root with the system Python (it has torchvision):
#   /usr/bin/python3 reference/make_imagenet_classes.py
import json
import os

import torchvision
from torchvision.models._meta import _IMAGENET_CATEGORIES as NAMES

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'src', 'vision', 'imagenet-classes.ts')
assert len(NAMES) == 1000 and len(set(NAMES)) >= 999, len(NAMES)

with open(OUT, 'w') as f:
    f.write('/**\n'
            ' * The 1000 ImageNet-1k class names in torchvision\'s order (the index of a logit is the class). Data, not code:\n'
            f' * written by reference/make_imagenet_classes.py from torchvision {torchvision.__version__}\'s\n'
            ' * torchvision.models._meta._IMAGENET_CATEGORIES; do not edit by hand.\n'
            ' */\n'
            'const NAMES: readonly string[] = [\n')
    for name in NAMES:
        f.write(f'  {json.dumps(name)},\n')
    f.write('];\n\n'
            '/** A fresh copy of the 1000 names, index = class. */\n'
            'export function imagenetClasses(): string[] {\n'
            '  return [...NAMES];\n'
            '}\n')
print(f'wrote {OUT} ({len(NAMES)} names, {len(set(NAMES))} distinct)')
