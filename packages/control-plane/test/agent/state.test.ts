import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileConsumedStore } from '../../src/agent/state';

describe('agent consumed-generation store', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'harrier-state-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('reads nothing before the first job', async () => {
    assert.equal(await fileConsumedStore(join(dir, 'var', 'consumed-jit')).read(), undefined);
  });

  it('remembers a generation across instances of the store, as across a reboot', async () => {
    const path = join(dir, 'var', 'lib', 'harrier', 'consumed-jit');
    await fileConsumedStore(path).write('gen-42');
    assert.equal(await fileConsumedStore(path).read(), 'gen-42');
    assert.equal(await readFile(path, 'utf8'), 'gen-42\n');
    assert.equal((await stat(path)).mode & 0o777, 0o600);
  });
});
