# Writes the preprocessing fixtures for test/vision/ with torchvision 0.14's own transforms (PIL 9.4 underneath).
# Run from the repository root with the system Python (it has torch and torchvision):
#   /usr/bin/python3 reference/make_vision_fixtures.py
# Not a test itself: test/vision/preprocess-parity.test.ts compares our pixels with these.
#
# For each photo in test/fixtures/photos, loaded as torchvision's ImageFolder does (PIL open + convert('RGB')):
# - the ImageNet preset's uint8 pixels before ToTensor (Resize(256) + CenterCrop(224)): as lossless PNG files
#   torchvision-<photo>.png for the JPEG, PNG and WebP photos named in FULL, and a SHA-256 of every photo's crop
#   in the metadata (a PNG per photo would be ~0.7 MB); every photo's short side is <= 256, so this is upsampling
#   (or, for the 256x256 PNG, no resize at all);
# - two small presets that downsample, where the antialiasing support matters, as uint8 tensors in
#   torchvision-preprocess.safetensors: `r64c56.<photo>` (Resize(64) + CenterCrop(56)) and `r61c56.<photo>`
#   (Resize(61) + CenterCrop(56): crop offsets that are x.5, which Python's round() takes to the even integer);
# - the grayscale path (convert('L'), Resize(64), CenterCrop(56)): `gray.<photo>`;
# - the decoded full-size pixels' SHA-256 (PIL's decoder), so a decoder difference shows apart from the resize;
# - a summary of the normalised preset tensor (ToTensor + Normalize(ImageNet)): `norm.<photo>` [3, 4] = per
#   channel mean, std, min, max.
# safetensors is written by hand (https://github.com/huggingface/safetensors#format), no safetensors package.
#
# Also, end to end (writes nothing): compare `densenet predict --json --topk 1000` output with torchvision's
# densenet121 + preset on the same files and weights:
#   npx densenet predict test/fixtures/photos --weights W.pth --arch densenet121 --topk 1000 --json > ours.jsonl
#   /usr/bin/python3 reference/make_vision_fixtures.py --check-predict ours.jsonl --weights W.pth
import hashlib
import json
import os
import struct

import numpy as np
import PIL
import torch
import torchvision
from PIL import Image
from torchvision import transforms as T

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
PHOTOS = os.path.join(ROOT, 'test', 'fixtures', 'photos')
OUT = os.path.join(ROOT, 'test', 'fixtures', 'vision')
COMMAND = '/usr/bin/python3 reference/make_vision_fixtures.py'
FULL = ['chelsea.jpg', 'astronaut.png', 'motorcycle_left.webp']
MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


def write_safetensors(path, tensors, metadata):
    header, offset, blobs = {'__metadata__': metadata}, 0, []
    for name, arr in tensors.items():
        arr = np.ascontiguousarray(arr)
        dtype = {np.uint8: 'U8', np.float32: 'F32'}[arr.dtype.type]
        data = arr.tobytes()
        header[name] = {'dtype': dtype, 'shape': list(arr.shape), 'data_offsets': [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))


def sha(arr):
    return hashlib.sha256(np.ascontiguousarray(arr).tobytes()).hexdigest()


def main():
    os.makedirs(OUT, exist_ok=True)
    preset = T.Compose([T.Resize(256), T.CenterCrop(224)])
    to_input = T.Compose([T.ToTensor(), T.Normalize(MEAN, STD)])
    small = {'r64c56': T.Compose([T.Resize(64), T.CenterCrop(56)]), 'r61c56': T.Compose([T.Resize(61), T.CenterCrop(56)])}
    tensors, meta = {}, {'command': COMMAND, 'torchvision': torchvision.__version__, 'torch': torch.__version__,
                         'pillow': Image.__version__ if hasattr(Image, '__version__') else '', 'full': json.dumps(FULL)}
    import PIL
    meta['pillow'] = PIL.__version__
    sums = {}
    for name in sorted(os.listdir(PHOTOS)):
        img = Image.open(os.path.join(PHOTOS, name)).convert('RGB')
        decoded = np.asarray(img)
        crop = preset(img)
        pixels = np.asarray(crop)                             # [224, 224, 3] uint8, what ToTensor reads
        x = to_input(crop)                                     # [3, 224, 224] float32
        assert torch.equal(to_input(crop), (torch.from_numpy(pixels.copy()).permute(2, 0, 1).float() / 255 -
                                            torch.tensor(MEAN)[:, None, None]) / torch.tensor(STD)[:, None, None])
        sums[name] = {'decoded': sha(decoded), 'decodedSize': list(decoded.shape), 'preset': sha(pixels)}
        if name in FULL:
            crop.save(os.path.join(OUT, f'torchvision-{name}.png'))
            assert np.array_equal(np.asarray(Image.open(os.path.join(OUT, f'torchvision-{name}.png'))), pixels)
        for key, tf in small.items():
            tensors[f'{key}.{name}'] = np.asarray(tf(img))
        tensors[f'gray.{name}'] = np.asarray(small['r64c56'](img.convert('L')))
        flat = x.reshape(3, -1)
        tensors[f'norm.{name}'] = torch.stack([flat.mean(1), flat.std(1), flat.min(1).values, flat.max(1).values], 1).numpy()
        print(f'{name}: {img.size[0]}x{img.size[1]} -> preset sha {sums[name]["preset"][:12]}')
    meta['photos'] = json.dumps(sums)
    write_safetensors(os.path.join(OUT, 'torchvision-preprocess.safetensors'), tensors, meta)
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(f'wrote {OUT} ({total} bytes)')


def check_predict(jsonl, weights):
    torch.set_num_threads(1)
    m = torchvision.models.densenet121()
    m.load_state_dict(torch.load(weights))
    m.eval()
    tf = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(), T.Normalize(MEAN, STD)])
    worst, same = 0.0, True
    for line in open(jsonl):
        o = json.loads(line)
        with torch.no_grad():
            p = torch.softmax(m(tf(Image.open(o['file']).convert('RGB'))[None]).double(), 1)[0]
        ours = torch.zeros(p.numel(), dtype=torch.float64)
        for t in o['top']:
            ours[t['index']] = t['prob']
        d = (ours - p).abs().max().item()
        top5 = p.topk(5).indices.tolist() == [t['index'] for t in o['top'][:5]]
        worst, same = max(worst, d), same and top5
        print(f"{o['file']}: max |prob - torchvision's| {d:.2e}, same top-5: {top5}")
    print(f'worst {worst:.2e}, same top-5 everywhere: {same}')


if __name__ == '__main__':
    import sys
    if '--check-predict' in sys.argv:
        check_predict(sys.argv[sys.argv.index('--check-predict') + 1], sys.argv[sys.argv.index('--weights') + 1])
    else:
        main()
