/**
 * Full-size torchvision checks, run when `/usr/bin/python3 reference/make_fixtures.py --large` has written
 * test/fixtures/large/ (94 MB, not committed): `torch.save(densenet121().state_dict())` and the same weights under
 * the legacy key names (with DataParallel's `module.` prefix) both load and give PyTorch's logits.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { getBackend } from '../../src/backend/select.js';
import { readSafetensors } from '../../src/io/safetensors.js';
import { readWeightsFile } from '../../src/io/weights-file.js';
import { DenseNet } from '../../src/models/densenet.js';
import { variantConfig } from '../../src/models/variants.js';
import { assertClose } from '../helpers/check.js';
import { FIXTURES } from '../helpers/fixtures.js';

const LARGE = FIXTURES + 'large/';
const skip = existsSync(LARGE + 'densenet121.pth') ? false : 'test/fixtures/large/ not generated (reference/make_fixtures.py --large)';

test('densenet121: torch.save state_dict and legacy-named .pth load and match PyTorch logits', { skip }, async () => {
  const backend = await getBackend(undefined, () => {});
  const io = readSafetensors(readFileSync(LARGE + 'densenet121-io.safetensors')).tensors;
  for (const file of ['densenet121.pth', 'densenet121-legacy.pth']) {
    const model = new DenseNet(variantConfig('densenet121'), 0, { init: false });
    model.loadStateDict((await readWeightsFile(LARGE + file)).tensors);
    model.eval();
    const logits = model.forward(io.get('input')!, backend);
    assert.deepEqual(logits.shape, [2, 1000]);
    assertClose(logits.data, io.get('logits')!.data, `${file} logits (${backend.name})`, 1e-4);
  }
});
