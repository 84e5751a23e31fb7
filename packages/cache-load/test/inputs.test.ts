import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CacheInputError } from '@harrier/cache-core';
import { readLoadInputs } from '../src/inputs';
import { parseBoolean, parseFallback } from '../src/shared/inputs';

describe('cache-load inputs', () => {
  let workspace = '';
  beforeEach(() => {
    workspace = mkdtempSync(join(tmpdir(), 'harrier-inputs-'));
    writeFileSync(join(workspace, 'package.json'), '{}');
    writeFileSync(join(workspace, 'package-lock.json'), '{}');
  });
  afterEach(() => rmSync(workspace, { recursive: true, force: true }));

  const inputs = (values: Record<string, string>) => (name: string) => values[name] ?? '';

  it('applies the documented defaults when nothing is set', () => {
    const parsed = readLoadInputs(inputs({}), {}, workspace);
    assert.deepEqual(parsed, {
      path: join(workspace, 'node_modules'),
      keyFiles: [join(workspace, 'package.json'), join(workspace, 'package-lock.json')],
      cacheRoot: '/mnt/harrier-cache',
      mode: 'auto',
      fallback: 'github',
      restoreFromAnyBranch: false,
    });
  });

  it('takes the cache root from HARRIER_CACHE_ROOT when the input is empty', () => {
    const parsed = readLoadInputs(inputs({}), { HARRIER_CACHE_ROOT: '/srv/cache' }, workspace);
    assert.equal(parsed.cacheRoot, '/srv/cache');
  });

  it('reads every input as given', () => {
    const parsed = readLoadInputs(
      inputs({
        path: 'web/node_modules',
        'key-files': 'package.json',
        'cache-root': '/cache',
        mode: 'image',
        fallback: 'none',
        'restore-from-any-branch': 'true',
      }),
      {},
      workspace,
    );
    assert.deepEqual(parsed, {
      path: join(workspace, 'web/node_modules'),
      keyFiles: [join(workspace, 'package.json')],
      cacheRoot: '/cache',
      mode: 'image',
      fallback: 'none',
      restoreFromAnyBranch: true,
    });
  });

  it('refuses a path outside the workspace', () => {
    assert.throws(() => readLoadInputs(inputs({ path: '../elsewhere' }), {}, workspace), CacheInputError);
  });

  it('names the accepted modes when mode is wrong', () => {
    assert.throws(
      () => readLoadInputs(inputs({ mode: 'zip' }), {}, workspace),
      /mode "zip" is not one of auto, image, tar/,
    );
  });

  it('accepts only github or none as fallback', () => {
    assert.equal(parseFallback('none'), 'none');
    assert.throws(() => parseFallback('s3'), CacheInputError);
  });

  it('accepts the YAML booleans @actions/core accepts, nothing else', () => {
    assert.equal(parseBoolean('x', 'True', false), true);
    assert.equal(parseBoolean('x', 'FALSE', true), false);
    assert.equal(parseBoolean('x', '', true), true);
    assert.throws(() => parseBoolean('x', 'yes', false), /'x' must be 'true' or 'false'; got 'yes'/);
  });
});
