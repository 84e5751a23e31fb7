import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readStoreInputs } from '../src/inputs';

describe('cache-store inputs', () => {
  let workspace = '';
  beforeEach(() => {
    workspace = mkdtempSync(join(tmpdir(), 'harrier-store-inputs-'));
    writeFileSync(join(workspace, 'package.json'), '{}');
  });
  afterEach(() => rmSync(workspace, { recursive: true, force: true }));

  const inputs = (values: Record<string, string>) => (name: string) => values[name] ?? '';

  it('keeps two entries per branch by default', () => {
    assert.equal(readStoreInputs(inputs({}), {}, workspace).keep, 2);
  });

  it('refuses keep values that are not whole numbers', () => {
    for (const bad of ['-1', '1.5', 'two']) {
      assert.throws(() => readStoreInputs(inputs({ keep: bad }), {}, workspace), /keep/, bad);
    }
  });

  it('reads keep as a whole number', () => {
    assert.equal(readStoreInputs(inputs({ keep: '5' }), {}, workspace).keep, 5);
  });

  it('fails clearly on a keep below 1', () => {
    assert.throws(
      () => readStoreInputs(inputs({ keep: '0' }), {}, workspace),
      /keep "0" must be a whole number of entries, at least 1/,
    );
  });

  it('shares the common inputs with cache-load', () => {
    const parsed = readStoreInputs(inputs({ mode: 'tar', fallback: 'none' }), {}, workspace);
    assert.equal(parsed.mode, 'tar');
    assert.equal(parsed.fallback, 'none');
    assert.deepEqual(parsed.keyFiles, [join(workspace, 'package.json')]);
  });
});
