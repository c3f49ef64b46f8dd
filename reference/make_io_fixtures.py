# Writes the weights-file fixtures for test/io/ with real PyTorch (1.13) and torchvision (0.14).
# Run from the repository root with the system Python (it has torch):
#   /usr/bin/python3 reference/make_io_fixtures.py
# Not a test itself: the TypeScript tests read test/fixtures/io/ and compare with expected.json.
# Formats: torch.save zip (PyTorch >= 1.6) and legacy (_use_new_zipfile_serialization=False);
# safetensors written by hand (https://github.com/huggingface/safetensors#format), no safetensors package.
import json
import os
import re
import struct
from collections import OrderedDict

import torch
import torchvision

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'io')
COMMAND = '/usr/bin/python3 reference/make_io_fixtures.py'


def mixed_tensors():
    """Several dtypes, plus views that share one storage (transposed, offset, strided)."""
    g = torch.Generator().manual_seed(1)
    base = torch.randn(3, 4, generator=g)
    return OrderedDict([
        ('f32', base),
        ('f32_t', base.t()),                 # non-contiguous, strides (1, 4)
        ('f32_view', base[1:, 1:3]),         # storage offset 5, strides (4, 1)
        ('f32_step', base[:, ::2]),          # strides (4, 2)
        ('f64', torch.randn(2, 3, generator=g, dtype=torch.float64)),
        ('f16', torch.randn(5, generator=g).half()),
        ('bf16', torch.randn(2, 2, generator=g).bfloat16()),
        ('i64', torch.tensor([0, -3, 2 ** 24, 7], dtype=torch.int64)),
        ('i32', torch.tensor([1, -2, 3], dtype=torch.int32)),
        ('u8', torch.tensor([0, 255, 7], dtype=torch.uint8)),
        ('bool', torch.tensor([True, False, True])),
        ('scalar', torch.tensor(2.5)),
        ('empty', torch.zeros(0, 3)),
        ('num_batches_tracked', torch.tensor(7)),
    ])


def tiny_densenet_state_dict():
    torch.manual_seed(0)
    m = torchvision.models.DenseNet(growth_rate=4, block_config=(2, 2), num_init_features=8, bn_size=2,
                                    num_classes=5)
    m.train()
    with torch.no_grad():
        m(torch.randn(2, 3, 32, 32))     # moves running stats and num_batches_tracked off their init values
    return m.state_dict()


LEGACY = re.compile(r'^(.*denselayer\d+\.(?:norm|relu|conv))((?:[12])\.(?:weight|bias|running_mean|running_var))$')


def legacy_names(sd, prefix=''):
    """The inverse of torchvision's rename: norm1.weight -> norm.1.weight (pre-0.3 torchvision checkpoints)."""
    out = OrderedDict()
    for k, v in sd.items():
        m = LEGACY.match(k)
        out[prefix + (m.group(1) + '.' + m.group(2) if m else k)] = v
    return out


ST_DTYPES = {torch.float32: 'F32', torch.float64: 'F64', torch.float16: 'F16', torch.bfloat16: 'BF16',
             torch.int64: 'I64', torch.int32: 'I32', torch.uint8: 'U8', torch.int8: 'I8', torch.bool: 'BOOL'}


def tensor_bytes(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:      # numpy has no bfloat16: take the raw 16-bit patterns
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


def write_safetensors(path, tensors, metadata):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        b = tensor_bytes(t)
        header[name] = {'dtype': ST_DTYPES[t.dtype], 'shape': list(t.shape), 'data_offsets': [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    header['__metadata__'] = metadata
    h = json.dumps(header, separators=(',', ':')).encode('utf-8')
    h += b' ' * (-len(h) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def expected(sd):
    return {k: {'shape': list(v.shape), 'values': v.float().flatten().tolist()} for k, v in sd.items()}


def main():
    os.makedirs(OUT, exist_ok=True)
    p = lambda name: os.path.join(OUT, name)
    mixed = mixed_tensors()
    torch.save(mixed, p('mixed.pth'))
    torch.save(mixed, p('mixed_legacy.pth'), _use_new_zipfile_serialization=False)
    st = OrderedDict((k, v) for k, v in mixed.items())
    st['i8'] = torch.tensor([-128, 0, 127], dtype=torch.int8)
    write_safetensors(p('mixed.safetensors'), st, {'format': 'pt', 'generator': COMMAND})

    sd = tiny_densenet_state_dict()
    torch.save(sd, p('densenet.pth'))
    # What torchvision publishes: old key names, the pre-1.6 format.
    torch.save(legacy_names(sd), p('densenet_legacy.pth'), _use_new_zipfile_serialization=False)
    # A training checkpoint of a DataParallel model with old key names.
    torch.save({'epoch': 3, 'arch': 'densenet', 'best_acc1': 0.5,
                'state_dict': legacy_names(sd, 'module.')}, p('densenet_checkpoint.pth'))
    write_safetensors(p('densenet.safetensors'), sd, {'format': 'pt', 'generator': COMMAND})

    with open(p('expected.json'), 'w') as f:
        json.dump({'generator': COMMAND, 'torch': torch.__version__, 'torchvision': torchvision.__version__,
                   'mixed': expected(st), 'densenet': expected(sd)}, f)
    total = sum(os.path.getsize(p(n)) for n in os.listdir(OUT))
    print(f'wrote {len(os.listdir(OUT))} files, {total} bytes, to {os.path.normpath(OUT)}')


if __name__ == '__main__':
    main()
