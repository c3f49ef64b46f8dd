"""PyTorch round trip of densenet-ts weights (issue 9 item 7), run by hand with the system Python:

    /usr/bin/python3 reference/roundtrip.py images /tmp/rt-images          # a small synthetic RGB image folder
    npx densenet train --data /tmp/rt-images ... --out /tmp/rt-run         # train here (see README)
    /usr/bin/python3 reference/roundtrip.py check /tmp/rt-run/best.safetensors

`check` does both directions and prints the max abs logit difference of each:
  1. here -> PyTorch: the checkpoint's tensors load into torchvision.models.DenseNet (built from the checkpoint's
     config metadata) with load_state_dict(strict=True); its eval-mode logits on seeded inputs are compared with
     `densenet infer` on the same inputs;
  2. PyTorch -> here: the torchvision model trains a few SGD steps (weights and BN running statistics move, as on
     a PyTorch cluster), is saved with torch.save(state_dict()), read back with `densenet infer --weights FILE.pth
     --config ...`, and the logits compared again.
torchvision's DenseNet has only the ImageNet stem, 3 input channels, the bottleneck and compression 0.5; other
configs (CIFAR stem, grayscale, basic layers) use reference/densenet_ref.py's DenseNetRef, which has the same names. Not a fixture writer: nothing is committed from here.
The safetensors files are read and written by the small parser below (Debian has no python3-safetensors).
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torchvision

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DTYPES = {'F32': (np.float32, torch.float32), 'I64': (np.int64, torch.int64)}


def read_safetensors(path):
    """-> (tensors: dict name -> torch.Tensor (F32 and I64 only), metadata: dict). Format: u64 LE header length,
    JSON header {name: {dtype, shape, data_offsets}, __metadata__: {...}}, then the data."""
    with open(path, 'rb') as f:
        raw = f.read()
    (n,) = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop('__metadata__', {})
    body = raw[8 + n:]
    out = {}
    for name, h in header.items():
        if h['dtype'] not in DTYPES:
            raise SystemExit(f'{path}: tensor {name} has dtype {h["dtype"]} (this script reads F32 and I64)')
        np_type, _ = DTYPES[h['dtype']]
        a, b = h['data_offsets']
        out[name] = torch.from_numpy(np.frombuffer(body[a:b], dtype=np.dtype(np_type).newbyteorder('<')).copy().reshape(h['shape']))
    return out, meta


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        data = t.detach().contiguous().to(torch.float32).numpy().astype('<f4').tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(t.shape), 'data_offsets': [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    h = json.dumps(header).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))


def densenet_cli(*args):
    """Runs our `densenet` command from this checkout's sources (tsx), as a user would."""
    cmd = ['node', '--import', 'tsx', os.path.join(ROOT, 'src/cli/main.ts'), *args]
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f'densenet {" ".join(args)} failed: {r.stderr.strip()}')
    return r


def our_logits(x, weights, extra, tmp):
    inp, out = os.path.join(tmp, 'input.safetensors'), os.path.join(tmp, 'logits.safetensors')
    write_safetensors(inp, {'input': x})
    densenet_cli('infer', '--weights', weights, '--input', inp, '--output', out, *extra)
    return read_safetensors(out)[0]['logits']


def torchvision_model(config):
    """torchvision.models.DenseNet for a densenet-ts config, or exit naming what torchvision cannot build."""
    unsupported = []
    if config.get('stem', 'imagenet') != 'imagenet':
        unsupported.append(f"stem '{config.get('stem')}' (torchvision has the ImageNet stem only)")
    if config.get('inChannels', 3) != 3:
        unsupported.append(f"{config.get('inChannels')} input channels (torchvision: 3)")
    if config.get('bottleneck', True) is not True:
        unsupported.append('no bottleneck (torchvision: DenseNet-BC layers)')
    if config.get('compression', 0.5) != 0.5:
        unsupported.append(f"compression {config.get('compression')} (torchvision: 0.5)")
    if unsupported:
        # the PyTorch twin of the whole family, with the same parameter names (reference/densenet_ref.py)
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        sys.dont_write_bytecode = True  # no __pycache__ left in reference/
        from densenet_ref import DenseNetRef
        print('torchvision.models.DenseNet cannot hold this model: ' + '; '.join(unsupported) + '; using DenseNetRef')
        return DenseNetRef(config['growthRate'], config['blockConfig'], config['initFeatures'],
                           bn_size=config['bnSize'] if config.get('bottleneck', True) else None,
                           compression=config['compression'], drop_rate=config['dropRate'], num_classes=config['numClasses'],
                           in_channels=config['inChannels'], stem=config['stem'])
    return torchvision.models.DenseNet(
        growth_rate=config['growthRate'], block_config=tuple(config['blockConfig']), num_init_features=config['initFeatures'],
        bn_size=config['bnSize'], drop_rate=config['dropRate'], num_classes=config['numClasses'])


def check(args):
    torch.manual_seed(0)
    tensors, meta = read_safetensors(args.checkpoint)
    if 'config' not in meta:
        raise SystemExit(f'{args.checkpoint}: no config metadata (not a densenet-ts checkpoint)')
    config = json.loads(meta['config'])
    pre = json.loads(meta.get('preprocessing', 'null')) or {'inputSize': [3, 224, 224]}
    c, h, w = pre['inputSize']
    state = {k: v for k, v in tensors.items() if not k.startswith('optimizer.')}
    counters = [k for k in state if k.endswith('num_batches_tracked')]
    print(f'checkpoint {args.checkpoint}: {len(state)} tensors ({len(counters)} num_batches_tracked, dtype '
          f'{sorted({str(state[k].dtype) for k in counters})}, value {max((int(state[k]) for k in counters), default=0)}), '
          f'config {json.dumps(config)}')

    # 1. here -> PyTorch
    model = torchvision_model(config)
    result = model.load_state_dict(state, strict=True)
    print(f'{type(model).__name__} load_state_dict(strict=True): {result}')
    model.eval()
    x = torch.randn(args.n, c, h, w)
    with torch.no_grad():
        theirs = model(x)
    with tempfile.TemporaryDirectory() as tmp:
        ours = our_logits(x, args.checkpoint, [], tmp)
        d1 = (ours - theirs).abs().max().item()
        print(f'here -> PyTorch: logits {list(theirs.shape)}, max |ours - PyTorch| = {d1:.3e}')

        # 2. PyTorch -> here: a few SGD steps in PyTorch move the weights and running statistics
        model.train()
        opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        for _ in range(args.steps):
            xb, yb = torch.randn(8, c, h, w), torch.randint(0, config['numClasses'], (8,))
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(xb), yb).backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            theirs2 = model(x)
        pth = os.path.join(tmp, 'from_pytorch.pth')
        torch.save(model.state_dict(), pth)
        cfg_file = os.path.join(tmp, 'config.json')
        with open(cfg_file, 'w') as f:
            json.dump(config, f)
        ours2 = our_logits(x, pth, ['--config', cfg_file], tmp)
        d2 = (ours2 - theirs2).abs().max().item()
        moved = (theirs2 - theirs).abs().max().item()
        print(f'PyTorch -> here ({args.steps} SGD steps in PyTorch moved the logits by up to {moved:.3f}; torch.save state_dict, '
              f'densenet infer --weights .pth --config): max |ours - PyTorch| = {d2:.3e}')
    ok = d1 <= args.tol and d2 <= args.tol
    print('round trip ' + ('OK' if ok else 'FAILED') + f' (tolerance {args.tol})')
    return 0 if ok else 1


def images(args):
    """A 3-class RGB image folder (train/ 40 per class, val/ 10): red squares, green discs, blue stripes on noise."""
    from PIL import Image
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:args.size, 0:args.size]
    for split, count in (('train', 40), ('val', 10)):
        for k, name in enumerate(('square', 'disc', 'stripes')):
            os.makedirs(os.path.join(args.dir, split, name), exist_ok=True)
            for i in range(count):
                img = rng.integers(0, 90, (args.size, args.size, 3)).astype(np.uint8)
                cx, cy, r = rng.integers(args.size // 4, 3 * args.size // 4, 2).tolist() + [int(rng.integers(6, args.size // 4))]
                if k == 0:
                    mask = (abs(xx - cx) < r) & (abs(yy - cy) < r)
                elif k == 1:
                    mask = (xx - cx) ** 2 + (yy - cy) ** 2 < r * r
                else:
                    mask = ((xx + int(rng.integers(0, 8))) // 4) % 2 == 0
                img[mask, k] = 200 + rng.integers(0, 55)
                Image.fromarray(img).save(os.path.join(args.dir, split, name, f'{i:03d}.png'))
    print(f'wrote {args.dir}/train (3 x 40) and {args.dir}/val (3 x 10), {args.size}x{args.size} RGB PNG')
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = p.add_subparsers(dest='cmd', required=True)
    pi = sub.add_parser('images', help='write a synthetic RGB image folder')
    pi.add_argument('dir')
    pi.add_argument('--size', type=int, default=48)
    pc = sub.add_parser('check', help='round trip a densenet-ts checkpoint through torchvision')
    pc.add_argument('checkpoint')
    pc.add_argument('--n', type=int, default=4, help='inputs to compare')
    pc.add_argument('--steps', type=int, default=3, help='SGD steps in PyTorch before the way back')
    pc.add_argument('--tol', type=float, default=1e-4)
    args = p.parse_args()
    torch.set_num_threads(1)
    return images(args) if args.cmd == 'images' else check(args)


if __name__ == '__main__':
    sys.exit(main())
