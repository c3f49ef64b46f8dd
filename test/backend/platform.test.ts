/* platformTag: the prebuilt addon's folder name; on Linux the C library read from ldd agrees with the process report's. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { platformTag } from '../../src/backend/native/platform.js';

test('platformTag names this platform, and on Linux the C library the process report sees', () => {
  const tag = platformTag();
  if (process.platform !== 'linux') {
    assert.equal(tag, `${process.platform}-${process.arch}`);
    return;
  }
  const report = process.report.getReport() as { header?: { glibcVersionRuntime?: string } };
  assert.equal(tag, `linux-${process.arch}-${report.header?.glibcVersionRuntime ? 'glibc' : 'musl'}`);
});
