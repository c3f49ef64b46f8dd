"""Writes test/fixtures/hostile/: small malicious and malformed files for every reader, and index.json with one
line per file saying what it tries (format, note, and optionally a fragment the error must contain).

Run by hand: /usr/bin/python3 reference/make_hostile_corpus.py   (needs torch 1.13 only for the valid bases).
Deterministic: no timestamps (zip dates are fixed), no randomness, so a rerun writes identical bytes.
Patterns follow the public pickle-scanner test suites (reduce to os.system/eval/exec at protocols 0-4, INST/OBJ/
STACK_GLOBAL, EXT codes, memo tricks, several pickles in one stream, payload then garbage), the zip tricks used to
evade them (a local header naming another file, bad CRCs, flag bits, overlapping entries, ZIP64 lies, unsafe
names, bombs), CVE-2025-32434 / CVE-2026-24747 (SETITEM on non-dicts, tensors larger than their storage), and the
safetensors format rules (huggingface/safetensors README "Format").
"""
import collections
import gzip
import io
import json
import os
import pickle
import shutil
import struct
import sys
import zlib

import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'hostile')
INDEX = {}
FILES = {}


def add(name, data, fmt, note, expect=None):
    assert name not in FILES, name
    assert len(data) <= 16384, (name, len(data))
    FILES[name] = bytes(data)
    INDEX[name] = {'format': fmt, 'note': note, **({'expect': expect} if expect else {})}


# ---------------------------------------------------------------- zip writer with every field under control
def zip_build(entries, *, zip64=False, comment=b'', prefix=b'', suffix=b'', cd_count=None, eocd_patch=None):
    """entries: dicts with name, data and optional overrides: lname (local name), method, lmethod, flags, lflags,
    crc, lcrc, csize, lcsize, usize, lusize, offset (central offset override), body (stored bytes)."""
    out = bytearray(prefix)
    central = bytearray()
    for e in entries:
        name = e['name'].encode('utf-8') if isinstance(e['name'], str) else e['name']
        lname = e.get('lname', name)
        method = e.get('method', 0)
        body = e.get('body')
        if body is None:
            body = zlib.compress(e['data'], 9)[2:-4] if method == 8 else e['data']
        crc = e.get('crc', zlib.crc32(e['data']) & 0xffffffff)
        csize = e.get('csize', len(body))
        usize = e.get('usize', len(e['data']))
        flags = e.get('flags', 0)
        offset = len(out)
        out += struct.pack('<IHHHHHIIIHH', 0x04034b50, 20, e.get('lflags', flags), e.get('lmethod', method), 0, 0x21,
                           e.get('lcrc', crc), e.get('lcsize', csize), e.get('lusize', usize), len(lname), 0)
        out += lname + body
        coff = e.get('offset', offset)
        extra = b''
        if zip64 or e.get('zip64'):
            extra = struct.pack('<HHQQQ', 1, 24, e.get('z64usize', usize), e.get('z64csize', csize), e.get('z64offset', coff))
            csize32 = usize32 = off32 = 0xffffffff
        else:
            csize32, usize32, off32 = csize, usize, coff
        central += struct.pack('<IHHHHHHIIIHHHHHII', 0x02014b50, 45, 20, flags, method, 0, 0x21, crc, csize32, usize32,
                               len(name), len(extra), 0, e.get('disk', 0), 0, 0, off32) + name + extra
    cd_off = len(out)
    out += central
    n = len(entries) if cd_count is None else cd_count
    if zip64:
        eocd64 = len(out)
        out += struct.pack('<IQHHIIQQQQ', 0x06064b50, 44, 45, 45, 0, 0, n, n, len(central), cd_off)
        out += struct.pack('<IIQI', 0x07064b50, 0, eocd64, 1)
        out += struct.pack('<IHHHHIIH', 0x06054b50, 0, 0, 0xffff, 0xffff, 0xffffffff, 0xffffffff, len(comment)) + comment
    else:
        out += struct.pack('<IHHHHIIH', 0x06054b50, 0, 0, n, n, len(central), cd_off, len(comment)) + comment
    if eocd_patch:
        eocd_patch(out)
    return bytes(out + suffix)


def read_torch_zip(data):
    """(name, bytes) of each entry of a torch.save archive, in order."""
    import zipfile
    z = zipfile.ZipFile(io.BytesIO(data))
    return [(i.filename, z.read(i.filename)) for i in z.infolist()]


def torch_bytes(obj, legacy=False):
    buf = io.BytesIO()
    torch.save(obj, buf, _use_new_zipfile_serialization=not legacy)
    return buf.getvalue()


# ---------------------------------------------------------------- valid bases
torch.manual_seed(0)
STATE = collections.OrderedDict([('w', torch.arange(4, dtype=torch.float32).reshape(2, 2)), ('b', torch.ones(2))])
TORCH_ZIP = torch_bytes(STATE)
TORCH_LEGACY = torch_bytes(STATE, legacy=True)
ENTRIES = [(n.replace(n.split('/')[0], 'archive', 1), d) for n, d in read_torch_zip(TORCH_ZIP)]
DATA_PKL = dict(ENTRIES)['archive/data.pkl']
STORAGES = {n: d for n, d in ENTRIES if '/data/' in n}


def archive(pkl, storages=None, **kw):
    """A torch-style archive (stored entries, no data descriptors) around a data.pkl and its storages."""
    items = [{'name': 'archive/data.pkl', 'data': pkl}]
    items += [{'name': n, 'data': d} for n, d in (STORAGES if storages is None else storages).items()]
    return zip_build(items, **kw)


VALID_ZIP = archive(DATA_PKL)
MAGIC = pickle.dumps(0x1950a86a20f9469cfc6c, protocol=2)
LEGACY_HEAD = MAGIC + pickle.dumps(1001, protocol=2) + pickle.dumps(
    {'protocol_version': 1001, 'little_endian': True, 'type_sizes': {'short': 2, 'int': 4, 'long': 4}}, protocol=2)


def legacy(main_pickle, keys=(), storages=b''):
    return LEGACY_HEAD + main_pickle + pickle.dumps(list(keys), protocol=2) + storages


# ---------------------------------------------------------------- pickle payloads
class Reduce:
    def __init__(self, fn, args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return (self.fn, self.args)


CALLS = {
    'os-system': (os.system, ('echo pwned > /tmp/densenet-pwned',)),
    'eval': (eval, ("__import__('os').system('echo pwned')",)),
    'exec': (exec, ("import os; os.system('echo pwned')",)),
    'builtins-getattr': (getattr, (Reduce(__import__, ('os',)), 'system')),
    'builtins-import': (__import__, ('os',)),
}
n_payload = 0
for what, (fn, args) in CALLS.items():
    for proto in range(5):
        try:
            p = pickle.dumps({'w': Reduce(fn, args)}, protocol=proto)
        except Exception:
            continue
        add(f'pickle-{what}-p{proto}.pth', archive(p), 'weights', f'data.pkl reduces to {fn.__module__}.{fn.__name__} at pickle protocol {proto}')
        n_payload += 1
    add(f'pickle-{what}-legacy.pth', legacy(pickle.dumps({'w': Reduce(fn, args)}, protocol=2)), 'weights',
        f'legacy (pre-1.6) torch file whose object pickle reduces to {fn.__module__}.{fn.__name__}', 'refusing to load global')

G = lambda m, n: b'c' + m.encode() + b'\n' + n.encode() + b'\n'  # GLOBAL
U = lambda s: b'X' + struct.pack('<I', len(s.encode())) + s.encode()  # BINUNICODE
P2 = b'\x80\x02'

raw = {
    'inst-os-system': (b"(S'echo pwned'\nios\nsystem\n.", 'INST opcode (protocol 0 class call) of os.system'),
    'obj-os-system': (b"(cos\nsystem\nS'echo pwned'\no.", 'OBJ opcode on os.system'),
    'stack-global-os-system': (b'\x80\x04\x8c\x02os\x8c\x06system\x93\x8c\x02id\x85R.', 'STACK_GLOBAL of os.system (protocol 4)'),
    'stack-global-posix-system-framed': (b'\x80\x04\x95\x1a\x00\x00\x00\x00\x00\x00\x00\x8c\x05posix\x94\x8c\x06system\x94\x93\x94\x8c\x02id\x85R.',
                                         'FRAME + MEMOIZE + STACK_GLOBAL of posix.system'),
    'global-torch-load': (P2 + G('torch', 'load') + U('x') + b'\x85R.', 'GLOBAL torch.load (not in the allow-list)'),
    'global-storage-load-from-bytes': (P2 + G('torch.storage', '_load_from_bytes') + b'C\x04abcd\x85R.', 'torch.storage._load_from_bytes (runs torch.load)'),
    'global-nn-module': (P2 + G('torch.nn.modules.linear', 'Linear') + b')\x81.', 'NEWOBJ of a whole nn.Module'),
    'global-numpy-reconstruct': (P2 + G('numpy.core.multiarray', '_reconstruct') + b')R.', 'numpy _reconstruct'),
    'global-py2-builtin-eval': (P2 + G('__builtin__', 'eval') + U('1') + b'\x85R.', 'Python 2 name __builtin__.eval'),
    'global-proto-pollution': (P2 + G('collections', '__proto__') + b'.', "collections.__proto__ (Object.prototype lookup)"),
    'global-torch-constructor': (P2 + G('torch', 'constructor') + b'.', 'torch.constructor (Object.prototype lookup)'),
    'global-rebuild-qtensor': (P2 + G('torch._utils', '_rebuild_qtensor') + b').', 'a torch rebuild function outside our list'),
    'global-subprocess-popen': (P2 + G('subprocess', 'Popen') + U('id') + b'\x85\x85R.', 'subprocess.Popen'),
    'global-newline-in-name': (P2 + b'cos\nsystem\x00x\n.', 'GLOBAL name with a NUL byte'),
    'global-unterminated': (P2 + b'cos\nsyst', 'GLOBAL whose name never ends'),
    'ext1': (P2 + b'\x82\x01).', 'EXT1 (copyreg extension registry code 1)'),
    'ext2': (P2 + b'\x83\x01\x02).', 'EXT2 code'),
    'ext4': (P2 + b'\x84\x01\x02\x03\x04).', 'EXT4 code'),
    'memo-get-unset': (P2 + b'}h\x05.', 'BINGET of a memo index never set'),
    'memo-long-get-huge': (P2 + b'}j\xff\xff\xff\xff.', 'LONG_BINGET 2^32-1'),
    'memo-long-put-huge': (P2 + b'}r\xf0\xff\xff\xff.', 'LONG_BINPUT of a huge index'),
    'memo-self-reference': (P2 + b']q\x00h\x00a.', 'a list that contains itself through the memo'),
    'persid-text': (P2 + b'Pstorage\n.', 'PERSID (protocol 0 text persistent id)'),
    'persid-not-storage': (P2 + b'}' + U('w') + U('module') + U('os') + b'\x86Qs.', "BINPERSID of ('module', 'os')"),
    'persid-int': (P2 + b'}' + U('w') + b'K\x07Qs.', 'BINPERSID of an int'),
    'persid-storage-class-os-system': (P2 + b'}' + U('w') + b'(' + U('storage') + G('os', 'system') + U('0') + U('cpu') + b'K\x04tQs.',
                                       'persistent id whose storage type is os.system'),
    'setitem-on-list': (P2 + b']K\x01K\x02s.', 'SETITEM on a list (CVE-2026-24747)'),
    'setitems-on-list': (P2 + b'](K\x01K\x02u.', 'SETITEMS on a list (CVE-2026-24747)'),
    'setitem-on-tuple': (P2 + b')K\x01K\x02s.', 'SETITEM on a tuple'),
    'append-on-dict': (P2 + b'}K\x01a.', 'APPEND on a dict'),
    'build-on-dict': (P2 + b'}}' + U('__class__') + U('x') + b's' + b'b.', 'BUILD on a plain dict (only OrderedDict may be built)'),
    'build-on-global': (P2 + G('collections', 'OrderedDict') + b'}b.', 'BUILD on a class object'),
    'reduce-on-string': (P2 + U('os') + b')R.', 'REDUCE of a string'),
    'stack-underflow': (P2 + b's.', 'SETITEM on an empty stack'),
    'pop-below-mark': (P2 + b'K\x01(\x85.', 'TUPLE1 reaching below a MARK'),
    'stop-two-values': (P2 + b'NN.', 'STOP with two values on the stack'),
    'no-stop': (P2 + b'}', 'a pickle that never STOPs'),
    'proto-6': (b'\x80\x06N.', 'unknown pickle protocol 6'),
    'many-marks': (P2 + b'(' * 5000 + b'.', '5000 nested MARKs'),
    'deep-tuples': (P2 + b'N' + b'\x85' * 12000 + b'.', 'a tuple nested 12000 deep'),
    'string-length-lie': (P2 + b'X\xff\xff\xff\x7fabc.', 'BINUNICODE claiming 2 GB'),
    'invalid-utf8': (P2 + b'X\x02\x00\x00\x00\xff\xfe.', 'BINUNICODE that is not UTF-8'),
    'pickle-then-pickle': (DATA_PKL + DATA_PKL, 'two pickles in one data.pkl'),
    'pickle-then-garbage': (DATA_PKL + b'garbage after STOP', 'a valid pickle followed by garbage'),
    'pickle-then-payload': (DATA_PKL + pickle.dumps(Reduce(os.system, ('id',)), protocol=2), 'a valid pickle followed by an os.system pickle'),
}
for what, (p, note) in raw.items():
    add(f'pickle-{what}.pth', archive(p), 'weights', note)


# tensors whose geometry disagrees with their storage (crafted with torch's own persistent-id scheme)
class FakeStorage:
    def __init__(self, cls, key, numel):
        self.cls, self.key, self.numel = cls, key, numel


class FakeTensor:
    def __init__(self, storage, offset, size, stride):
        self.a = (storage, offset, size, stride)

    def __reduce__(self):
        s, o, size, stride = self.a
        return (torch._utils._rebuild_tensor_v2, (s, o, tuple(size), tuple(stride), False, collections.OrderedDict()))


class TorchPickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, FakeStorage):
            return ('storage', obj.cls, obj.key, 'cpu', obj.numel)
        return None


def tensor_pickle(**tensors):
    buf = io.BytesIO()
    TorchPickler(buf, protocol=2).dump(collections.OrderedDict(tensors))
    return buf.getvalue()


F4 = struct.pack('<4f', 1, 2, 3, 4)
tensor_cases = {
    'more-elements-than-storage': (tensor_pickle(w=FakeTensor(FakeStorage(torch.FloatStorage, '0', 4), 0, [100], [1])), {'archive/data/0': F4},
                                   'tensor of 100 elements on a 4-element storage (CVE-2026-24747)', 'reaches element'),
    'offset-past-storage': (tensor_pickle(w=FakeTensor(FakeStorage(torch.FloatStorage, '0', 4), 4, [1], [1])), {'archive/data/0': F4},
                            'storage offset past the end of the storage', 'reaches element'),
    'stride-past-storage': (tensor_pickle(w=FakeTensor(FakeStorage(torch.FloatStorage, '0', 4), 0, [2, 2], [1000, 1])), {'archive/data/0': F4},
                            'strides that reach far past the storage', 'reaches element'),
    'negative-stride': (tensor_pickle(w=FakeTensor(FakeStorage(torch.FloatStorage, '0', 4), 3, [4], [-1])), {'archive/data/0': F4},
                        'a negative stride', 'non-negative'),
    'rank-mismatch': (tensor_pickle(w=FakeTensor(FakeStorage(torch.FloatStorage, '0', 4), 0, [4], [1, 1])), {'archive/data/0': F4},
                      'size and stride of different rank', 'strides'),
    'storage-bigger-than-entry': (tensor_pickle(w=FakeTensor(FakeStorage(torch.FloatStorage, '0', 1 << 40), 0, [4], [1])), {'archive/data/0': F4},
                                  'storage claims 2^40 elements but its entry has 16 bytes', 'bytes'),
    'storage-smaller-than-entry': (tensor_pickle(w=FakeTensor(FakeStorage(torch.FloatStorage, '0', 2), 0, [2], [1])), {'archive/data/0': F4},
                                   'storage claims 2 elements but its entry has 16 bytes', 'bytes'),
    'storage-missing': (tensor_pickle(w=FakeTensor(FakeStorage(torch.FloatStorage, '9', 4), 0, [4], [1])), {'archive/data/0': F4},
                        'storage key with no data entry', 'missing'),
    'huge-shape': (tensor_pickle(w=FakeTensor(FakeStorage(torch.FloatStorage, '0', 4), 0, [1 << 31, 1 << 31], [0, 0])), {'archive/data/0': F4},
                   'a [2^31, 2^31] tensor with zero strides on 4 elements', 'elements'),
    'storage-type-char': (tensor_pickle(w=FakeTensor(FakeStorage(torch.CharStorage, '0', 4), 0, [4], [1])), {'archive/data/0': b'\x01\x02\x03\x04'},
                          'a storage type outside the list (CharStorage)', 'torch.CharStorage'),
}
for what, (p, st, note, expect) in tensor_cases.items():
    add(f'tensor-{what}.pth', archive(p, st), 'weights', note, expect)
# the same lies in a legacy file: the storage header's element count disagrees with the pickle, or runs past the file
lw = tensor_pickle(w=FakeTensor(FakeStorage(torch.FloatStorage, '0', 4), 0, [4], [1]))
add('legacy-storage-count-lie.pth', legacy(lw, ['0'], struct.pack('<q', 1 << 40) + F4), 'weights', 'legacy storage header claims 2^40 elements', 'records')
add('legacy-storage-truncated.pth', legacy(lw, ['0'], struct.pack('<q', 4) + F4[:10]), 'weights', 'legacy storage data cut short', 'truncated')
add('legacy-storage-trailing.pth', legacy(lw, ['0'], struct.pack('<q', 4) + F4 + b'extra'), 'weights', 'legacy file with bytes after its last storage', 'unexpected bytes')
add('legacy-storage-unlisted.pth', legacy(lw, ['7'], struct.pack('<q', 4) + F4), 'weights', 'legacy key list names a storage no tensor uses', 'never used')
add('legacy-bad-magic.pth', pickle.dumps(0x1950a86a20f9469cfc6c + 1, protocol=2) + LEGACY_HEAD[len(MAGIC):] + lw, 'weights', 'legacy file with a wrong magic number')
add('legacy-big-endian.pth', MAGIC + pickle.dumps(1001, protocol=2) + pickle.dumps({'little_endian': False}, protocol=2) + lw,
    'weights', 'legacy file claiming big-endian data', 'little-endian')


# ---------------------------------------------------------------- zip tricks (on a valid archive)
def entries(**over):
    """The valid archive's entries, with overrides for entry 0 (data.pkl) or 1 (first storage): key 'e0_x' / 'e1_x'."""
    es = [{'name': 'archive/data.pkl', 'data': DATA_PKL}] + [{'name': n, 'data': d} for n, d in STORAGES.items()]
    for k, v in over.items():
        i, field = int(k[1]), k[3:]
        es[i][field] = v
    return es


pkl_crc = zlib.crc32(DATA_PKL) & 0xffffffff
zips = {
    'local-name-differs': (entries(e0_lname=b'archive/evil.pk'), 'local header names another file (same length) than the central directory', 'names another file'),
    'local-name-other-length': (entries(e0_lname=b'archive/payload.pkl'), 'local header names another file of another length', 'names another file'),
    'local-method-differs': (entries(e0_lmethod=8), 'local header says deflate, central says stored', 'compression method'),
    'local-flags-differ': (entries(e0_lflags=0x800), 'local and central flags differ', 'flags'),
    'local-size-differs': (entries(e0_lcsize=10, e0_lusize=10), 'local header sizes disagree with the central directory', 'disagrees'),
    'local-crc-differs': (entries(e0_lcrc=pkl_crc ^ 1), 'local CRC disagrees with the central one', 'disagrees'),
    'bad-crc-pickle': (entries(e0_crc=pkl_crc ^ 0x10, e0_lcrc=pkl_crc ^ 0x10), 'data.pkl fails its CRC-32', 'CRC-32'),
    'bad-crc-storage': (entries(e1_crc=0x12345678, e1_lcrc=0x12345678), 'a storage fails its CRC-32', 'CRC-32'),
    'encrypted': (entries(e0_flags=1), 'traditional encryption flag (bit 0)', 'encrypted'),
    'strong-encryption': (entries(e0_flags=0x40), 'strong encryption flag (bit 6)', 'encrypted'),
    'masked-header': (entries(e0_flags=0x2000), 'masked local header flag (bit 13)', 'encrypted'),
    'method-bzip2': (entries(e0_method=12), 'compression method 12 (bzip2)', 'method 12'),
    'method-lzma': (entries(e0_method=14), 'compression method 14 (LZMA)', 'method 14'),
    'method-aes': (entries(e0_method=99), 'compression method 99 (AES)', 'method 99'),
    'name-absolute': (entries(e0_name='/archive/data.pkl'), 'absolute entry name', 'unsafe name'),
    'name-dotdot': (entries(e0_name='archive/../data.pkl'), "'..' in an entry name", 'unsafe name'),
    'name-backslash': (entries(e0_name='archive\\data.pkl'), 'backslash in an entry name', 'unsafe name'),
    'name-nul': (entries(e0_name='archive/data.pkl\x00.txt'), 'NUL in an entry name', 'unsafe name'),
    'name-drive': (entries(e0_name='C:/archive/data.pkl'), 'drive letter in an entry name', 'unsafe name'),
    'name-not-utf8': (entries(e0_name=b'archive/\xff\xfe.pkl'), 'entry name that is not UTF-8', 'UTF-8'),
    'stored-sizes-differ': (entries(e1_usize=8, e1_lusize=8), 'stored entry whose sizes differ', 'sizes'),
    'other-disk': (entries(e0_disk=3), 'entry on another disk', 'disk'),
}
for what, (es, note, expect) in zips.items():
    add(f'zip-{what}.pth', zip_build(es), 'weights', note, expect)

es = entries()
add('zip-duplicate-entry.pth', zip_build(es + [dict(es[0])]), 'weights', 'data.pkl twice in the central directory', None)
add('zip-two-pickles.pth', zip_build(es + [{'name': 'other/data.pkl', 'data': pickle.dumps(Reduce(os.system, ('id',)), protocol=2)}]),
    'weights', 'a second <folder>/data.pkl (a pickle a scanner might not look at)', 'data.pkl')
add('zip-entry-outside-folder.pth', zip_build(es + [{'name': 'payload/data/0', 'data': F4}]), 'weights',
    'an entry outside the archive folder (a file a data.pkl scanner would skip)', 'outside its folder')
add('zip-prepended-data.pth', zip_build(es, prefix=b'PK\x03\x04' + b'#!/bin/sh\nrm -rf /\n' * 2), 'weights', 'bytes before the first entry (polyglot)', None)
add('zip-trailing-data.pth', zip_build(es, suffix=b'trailing bytes after the end record'), 'weights', 'bytes after the end record', 'central directory not found')
add('zip-comment-length-lie.pth', zip_build(es, eocd_patch=lambda b: b.__setitem__(slice(len(b) - 2, len(b)), b'\x40\x00')),
    'weights', 'end record comment length runs past the file', 'central directory not found')
add('zip-count-lie.pth', zip_build(es, cd_count=len(es) + 3), 'weights', 'end record counts more entries than the directory holds', None)
add('zip-count-short.pth', zip_build(es, cd_count=1), 'weights', 'end record counts fewer entries than the directory holds', None)
# overlapping entries: the storage's central offset points inside data.pkl's data
ov = entries()
ov[1]['offset'] = 30 + len('archive/data.pkl') + 4
add('zip-overlap.pth', zip_build(ov), 'weights', "a central entry whose local header lies inside another entry's data", None)
ov2 = entries()
ov2[1]['offset'] = 0
add('zip-same-offset.pth', zip_build(ov2), 'weights', 'two central entries at the same local header', None)
# gap: an entry's data hidden between two entries
add('zip-hidden-gap.pth', zip_build([dict(es[0], body=DATA_PKL + b'HIDDEN', csize=len(DATA_PKL), lcsize=len(DATA_PKL))] + es[1:]),
    'weights', 'bytes hidden in a gap after an entry', 'belong to no entry')
# ZIP64 lies
add('zip64-valid-but-size-lie.pth', zip_build(entries(e0_zip64=True, e0_z64usize=1 << 40)), 'weights', 'ZIP64 extra claims a 1 TB entry', 'exceeds')
add('zip64-offset-lie.pth', zip_build(entries(e0_zip64=True, e0_z64offset=1 << 33)), 'weights', 'ZIP64 extra offset beyond the file', 'exceeds')
add('zip64-eocd-count-lie.pth', zip_build(es, zip64=True, eocd_patch=lambda b: b.__setitem__(slice(b.rfind(b'PK\x06\x06') + 32, b.rfind(b'PK\x06\x06') + 40), struct.pack('<Q', 1 << 50))),
    'weights', 'ZIP64 end record claims 2^50 entries', None)
add('zip64-locator-lie.pth', zip_build(es, zip64=True, eocd_patch=lambda b: b.__setitem__(slice(b.rfind(b'PK\x06\x07') + 8, b.rfind(b'PK\x06\x07') + 16), struct.pack('<Q', 1 << 60))),
    'weights', 'ZIP64 locator points past the file', 'exceeds')
add('zip64-cd-offset-lie.pth', zip_build(es, zip64=True, eocd_patch=lambda b: b.__setitem__(slice(b.rfind(b'PK\x06\x06') + 48, b.rfind(b'PK\x06\x06') + 56), struct.pack('<Q', 3))),
    'weights', 'ZIP64 end record puts the directory at byte 3', None)
add('zip-saturated-no-zip64.pth', zip_build(entries(e0_csize=0xffffffff, e0_usize=0xffffffff, e0_lcsize=len(DATA_PKL), e0_lusize=len(DATA_PKL))),
    'weights', 'sizes saturated at 0xFFFFFFFF with no ZIP64 field', None)
# zip bombs
zeros = bytes(1 << 20)
bomb_body = zlib.compress(zeros, 9)[2:-4]
add('zip-bomb-claims-4gb.pth', zip_build([{'name': 'archive/data.pkl', 'data': b'', 'method': 8, 'body': bomb_body, 'usize': 0xfffffff0, 'crc': 0}]),
    'weights', f'{len(bomb_body)} deflated bytes claiming to inflate to 4 GB', 'zip bomb')
add('zip-bomb-zip64-1tb.pth', zip_build([{'name': 'archive/data.pkl', 'data': b'', 'method': 8, 'body': bomb_body, 'usize': 1 << 40, 'lusize': 0xffffffff, 'crc': 0, 'zip64': True}]),
    'weights', 'deflated entry claiming 1 TB through ZIP64', None)
add('zip-bomb-understated.pth', zip_build([{'name': 'archive/data.pkl', 'data': b'x' * 64, 'method': 8, 'body': bomb_body, 'usize': 64}]),
    'weights', 'deflated entry claiming 64 bytes that inflates to 1 MB', 'inflate')
nested = zip_build([{'name': 'inner.zip', 'data': zip_build([{'name': 'archive/data.pkl', 'data': zeros[:4096]}]), 'method': 8}])
add('zip-bomb-nested.pth', zip_build([{'name': 'archive/data.pkl', 'data': nested, 'method': 8}]), 'weights', 'a zip inside data.pkl (nested archive)', None)
add('zip-deflate-corrupt.pth', zip_build([{'name': 'archive/data.pkl', 'data': DATA_PKL, 'method': 8, 'body': b'\xff' * 40}]),
    'weights', 'deflate stream that is not deflate', None)

# truncations of each weights format
for cut in (4, 30, len(VALID_ZIP) // 2, len(VALID_ZIP) - 22, len(VALID_ZIP) - 1):
    add(f'trunc-zip-{cut}.pth', VALID_ZIP[:cut], 'weights', f'valid torch-style archive cut to {cut} bytes', None)
for cut in (2, 20, len(TORCH_LEGACY) // 2, len(TORCH_LEGACY) - 1):
    add(f'trunc-legacy-{cut}.pth', TORCH_LEGACY[:cut], 'weights', f'valid legacy torch file cut to {cut} bytes', None)
add('trunc-torch-zip-half.pth', TORCH_ZIP[:len(TORCH_ZIP) // 2], 'weights', 'torch.save archive cut in half', None)


# ---------------------------------------------------------------- safetensors
def st(header, data=b'', hlen=None, raw_header=None):
    h = raw_header if raw_header is not None else json.dumps(header, separators=(',', ':')).encode()
    return struct.pack('<Q', len(h) if hlen is None else hlen) + h + data


E = lambda dt, shape, a, b: {'dtype': dt, 'shape': shape, 'data_offsets': [a, b]}
D16 = bytes(16)
safetensors = {
    'overlap': (st({'a': E('F32', [2], 0, 8), 'b': E('F32', [2], 4, 12)}, bytes(12)), 'two tensors sharing bytes', 'overlap'),
    'gap': (st({'a': E('F32', [1], 0, 4), 'b': E('F32', [1], 8, 12)}, bytes(12)), 'bytes between two tensors belong to neither', 'belong to no tensor'),
    'reversed-offsets': (st({'a': E('F32', [1], 8, 4)}, bytes(8)), 'data_offsets with begin > end (unsorted)', 'data_offsets'),
    'trailing-bytes': (st({'a': E('F32', [1], 0, 4)}, bytes(12)), 'data buffer longer than its tensors', 'after the last tensor'),
    'offsets-past-end': (st({'a': E('F32', [4], 0, 16)}, bytes(8)), 'offsets past the data buffer', 'run past'),
    'duplicate-key': (st(None, D16, raw_header=b'{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}'),
                      'the same tensor name twice (JSON keeps the last silently)', 'twice'),
    'duplicate-field': (st(None, D16, raw_header=b'{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16],"data_offsets":[0,8]}}'),
                        'data_offsets twice inside one entry', 'twice'),
    'duplicate-metadata-key': (st(None, D16, raw_header=b'{"__metadata__":{"k":"1","k":"2"},"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}'),
                               'a metadata key twice', 'twice'),
    'escaped-duplicate-key': (st(None, D16, raw_header=b'{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"\\u0061":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}'),
                              'the same name twice, once spelled with a \\u escape', 'twice'),
    'huge-header-length': (st({}, b'', hlen=(1 << 63)), 'header length 2^63', 'header length'),
    'header-length-over-limit': (st({}, b'', hlen=200_000_000), 'header length 200 MB (over the 100 MB limit and the file)', 'header length'),
    'header-not-json': (st(None, b'', raw_header=b'{not json}'), 'header that is not JSON', 'JSON'),
    'header-not-utf8': (st(None, b'', raw_header=b'{"\xff":1}'), 'header that is not UTF-8', 'UTF-8'),
    'header-array': (st(None, b'', raw_header=b'[{}]  '), 'header that is a JSON array', None),
    'wrong-dtype-size': (st({'a': E('F32', [3], 0, 8)}, bytes(8)), 'F32 [3] in 8 bytes', 'needs 12 bytes'),
    'wrong-dtype-size-f64': (st({'a': E('F64', [2], 0, 8)}, bytes(8)), 'F64 [2] in 8 bytes', 'needs 16 bytes'),
    'unknown-dtype': (st({'a': E('F8_E4M3', [4], 0, 4)}, bytes(4)), 'a dtype we do not know', 'unknown dtype'),
    'dtype-proto': (st({'a': E('__proto__', [4], 0, 4)}, bytes(4)), "dtype '__proto__'", 'unknown dtype'),
    'negative-shape': (st({'a': E('F32', [-1], 0, 4)}, bytes(4)), 'a negative dimension', 'shape'),
    'float-shape': (st({'a': E('F32', [1.5], 0, 6)}, bytes(6)), 'a fractional dimension', 'shape'),
    'unsafe-shape': (st({'a': E('F32', [2 ** 60], 0, 4)}, bytes(4)), 'a dimension of 2^60 (not a safe integer)', 'shape'),
    'overflow-shape': (st({'a': E('U8', [2 ** 31, 2 ** 31, 2 ** 31], 0, 8)}, bytes(8)), 'dimensions whose product overflows', 'needs'),
    'zero-dim-lie': (st({'a': E('F32', [0, 5], 0, 4)}, bytes(4)), 'an empty tensor claiming 4 bytes', 'needs 0 bytes'),
    'metadata-not-string': (st({'__metadata__': {'k': 1}, 'a': E('F32', [1], 0, 4)}, bytes(4)), 'a metadata value that is a number', 'not a string'),
    'metadata-nested': (st({'__metadata__': {'k': {'x': 'y'}}, 'a': E('F32', [1], 0, 4)}, bytes(4)), 'a metadata value that is an object', 'not a string'),
    'metadata-array': (st({'__metadata__': ['x'], 'a': E('F32', [1], 0, 4)}, bytes(4)), '__metadata__ as an array', '__metadata__'),
    'extra-field': (st({'a': {**E('F32', [1], 0, 4), 'exec': 'rm -rf /'}}, bytes(4)), 'an entry with an unknown field', 'unknown field'),
    'offsets-three': (st({'a': {'dtype': 'F32', 'shape': [1], 'data_offsets': [0, 4, 8]}}, bytes(8)), 'three data_offsets', 'data_offsets'),
    'offsets-strings': (st({'a': {'dtype': 'F32', 'shape': [1], 'data_offsets': ['0', '4']}}, bytes(4)), 'data_offsets as strings', 'data_offsets'),
    'entry-not-object': (st({'a': [1, 2]}, b''), 'a tensor entry that is an array', 'not an object'),
    'bool-value-2': (st({'a': E('BOOL', [2], 0, 2)}, b'\x01\x02'), 'a BOOL byte that is 2', 'bool'),
    'i64-not-float32': (st({'a': E('I64', [1], 0, 8)}, struct.pack('<q', (1 << 62) + 1)), 'an int64 float32 cannot hold', 'int64'),
    'header-open-brace-only': (st(None, b'', raw_header=b'{'), 'a header that is one brace', None),
    'empty-header': (st(None, b'', raw_header=b''), 'a zero-length header', None),
}
for what, (data, note, expect) in safetensors.items():
    add(f'st-{what}.safetensors', data, 'weights', note, expect)
VALID_ST = st({'a': E('F32', [2, 2], 0, 16), 'b': E('F32', [2], 16, 24)}, bytes(24))
for cut in (0, 5, 8, 20, len(VALID_ST) - 24, len(VALID_ST) - 1):
    add(f'trunc-st-{cut}.safetensors', VALID_ST[:cut], 'weights', f'valid safetensors cut to {cut} bytes', None)


# ---------------------------------------------------------------- IDX
def idx(dims, payload, type_=8):
    return bytes([0, 0, type_, len(dims)]) + b''.join(struct.pack('>I', d) for d in dims) + payload


VALID_IDX = idx([3, 4, 4], bytes(range(48)))
idxs = {
    'dims-lie-larger': (idx([60000, 28, 28], bytes(48)), 'dimensions of Fashion-MNIST on 48 bytes of pixels', 'truncated'),
    'dims-lie-smaller': (idx([1, 4, 4], bytes(48)), 'dimensions smaller than the data', 'too long'),
    'dims-overflow': (idx([0xffffffff, 0xffffffff, 0xffffffff], bytes(48)), 'dimensions whose product overflows 2^64', 'truncated'),
    'zero-dims': (bytes([0, 0, 8, 0]) + bytes(8), 'zero dimensions', 'dimensions'),
    'ndims-255': (bytes([0, 0, 8, 255]) + bytes(40), '255 dimensions in 44 bytes', 'dimensions'),
    'type-float': (idx([2], bytes(8), type_=0x0d), 'float32 data type', 'data type'),
    'bad-magic': (b'\x12\x34' + VALID_IDX[2:], 'wrong magic bytes', 'magic'),
    'gzip-truncated': (gzip.compress(VALID_IDX, mtime=0)[:30], 'gzip stream cut short', 'gzip'),
    'gzip-corrupt': (b'\x1f\x8b' + bytes(40), 'gzip magic then zeros', 'gzip'),
    'gzip-dims-lie': (gzip.compress(idx([60000, 28, 28], bytes(48)), mtime=0), 'gzipped file with lying dimensions', 'truncated'),
    'gzip-bomb': (gzip.compress(idx([1], b'\x00') + bytes(8 << 20), mtime=0), 'gzip of 8 MB of zeros (about 8 KB): bounded inflate, then dims disagree', None),
}
for what, (data, note, expect) in idxs.items():
    add(f'idx-{what}.idx', data, 'idx', note, expect)
for cut in (0, 3, 10, len(VALID_IDX) - 1):
    add(f'trunc-idx-{cut}.idx', VALID_IDX[:cut], 'idx', f'valid IDX cut to {cut} bytes', None)

# ---------------------------------------------------------------- CIFAR binary
rec10 = bytes([3]) + bytes(3072)
cifars = {
    'cifar10-short.bin': (rec10[:-1], 'cifar10', 'one record minus a byte', 'not a whole number'),
    'cifar10-long.bin': (rec10 + b'\x00', 'cifar10', 'one record plus a byte', 'not a whole number'),
    'cifar10-empty.bin': (b'', 'cifar10', 'an empty batch file', 'not a whole number'),
    'cifar10-cifar100-record.bin': (bytes(3074), 'cifar10', 'a CIFAR-100 record given as CIFAR-10', 'not a whole number'),
    'cifar10-label-out-of-range.bin': (bytes([10]) + bytes(3072), 'cifar10', 'label 10 of 10 classes', 'out of range'),
    'cifar10-label-255.bin': (rec10 + bytes([255]) + bytes(3072), 'cifar10', 'second record with label 255', 'out of range'),
    'cifar100-wrong-length.bin': (bytes(3073), 'cifar100', 'a CIFAR-10 record given as CIFAR-100', 'not a whole number'),
    'cifar100-fine-label-100.bin': (bytes([1, 100]) + bytes(3072), 'cifar100', 'fine label 100 of 100 classes', 'out of range'),
}
for name, (data, fmt, note, expect) in cifars.items():
    add(name, data, fmt, note, expect)

# ---------------------------------------------------------------- JSON configs
configs = {
    'config-not-json.json': (b'{growthRate: 32}', 'not JSON', 'JSON'),
    'config-array.json': (b'[32, [6, 12, 24, 16]]', 'a JSON array', 'object'),
    'config-null.json': (b'null', 'JSON null', 'object'),
    'config-unknown-field.json': (b'{"growthRate": 32, "exec": "rm -rf /"}', 'an unknown field', 'unknown field'),
    'config-proto.json': (b'{"__proto__": {"growthRate": 1e9}}', '__proto__ key (prototype pollution)', 'unknown field'),
    'config-huge-growth.json': (b'{"growthRate": 1e300}', 'growthRate 1e300', 'growthRate'),
    'config-negative-block.json': (b'{"blockConfig": [6, -12]}', 'a negative block length', 'blockConfig'),
    'config-block-string.json': (b'{"blockConfig": "6,12,24,16"}', 'blockConfig as a string', 'blockConfig'),
    'config-compression-zero.json': (b'{"compression": 0}', 'compression 0', 'compression'),
    'config-deep-nesting.json': (b'{"blockConfig": ' + b'[' * 3000 + b']' * 3000 + b'}', 'an array nested 3000 deep', None),
    'config-not-utf8.json': (b'{"growthRate": "\xff\xfe"}', 'bytes that are not UTF-8 in a string', None),
}
for name, (data, note, expect) in configs.items():
    add(name, data, 'config', note, expect)

# ---------------------------------------------------------------- images (image-folder skips what sharp cannot decode)
from PIL import Image  # noqa: E402 (torchvision's dependency, on the same system Python)


def encoded(fmt, size=(16, 16)):
    buf = io.BytesIO()
    Image.new('RGB', size, (200, 30, 60)).save(buf, format=fmt)
    return buf.getvalue()


def png_chunk(kind, body):
    return struct.pack('>I', len(body)) + kind + body + struct.pack('>I', zlib.crc32(kind + body) & 0xffffffff)


PNG = encoded('PNG')
JPEG = encoded('JPEG')
huge_ihdr = b'\x89PNG\r\n\x1a\n' + png_chunk(b'IHDR', struct.pack('>IIBBBBB', 100000, 100000, 8, 2, 0, 0, 0)) + \
    png_chunk(b'IDAT', zlib.compress(bytes(1000))) + png_chunk(b'IEND', b'')
bad_crc = bytearray(PNG)
bad_crc[29] ^= 0xff  # inside IHDR's CRC
images = {
    'image-truncated.png': (PNG[:len(PNG) // 2], 'PNG cut in half'),
    'image-truncated.jpg': (JPEG[:len(JPEG) // 2], 'JPEG cut in half'),
    'image-png-bad-crc.png': (bytes(bad_crc), 'PNG whose IHDR fails its CRC'),
    'image-png-pixel-bomb.png': (huge_ihdr, 'PNG header claiming 100000x100000 pixels (10 G pixels)'),
    'image-gif-pixel-bomb.gif': (b'GIF89a' + struct.pack('<HH', 65535, 65535) + b'\x00\x00\x00' + b',' + struct.pack('<HHHH', 0, 0, 65535, 65535) + b'\x00\x02\x02\x44\x01\x00;',
                                 'GIF claiming 65535x65535 pixels'),
    'image-empty.png': (b'', 'an empty file named .png'),
    'image-text.jpg': (b'#!/bin/sh\nrm -rf /\n', 'a shell script named .jpg'),
    'image-jpeg-garbage.jpg': (b'\xff\xd8\xff\xe0' + bytes(200), 'JPEG magic then zeros'),
}
for name, (data, note) in images.items():
    add(name, data, 'image', note)

# ---------------------------------------------------------------- write
if os.path.isdir(ROOT):
    shutil.rmtree(ROOT)
os.makedirs(ROOT)
for name, data in FILES.items():
    with open(os.path.join(ROOT, name), 'wb') as f:
        f.write(data)
with open(os.path.join(ROOT, 'index.json'), 'w') as f:
    json.dump({'generator': '/usr/bin/python3 reference/make_hostile_corpus.py', 'files': INDEX}, f, indent=1, sort_keys=True)
    f.write('\n')
total = sum(len(d) for d in FILES.values())
fams = collections.Counter(n.split('-')[0] for n in FILES)
print(f'wrote {len(FILES)} files, {total} bytes, to {os.path.relpath(ROOT)}: {dict(sorted(fams.items()))}')
print(f'payload pickles (reduce to a callable at protocols 0-4): {n_payload}')
