import assert from 'node:assert/strict';
import * as actionsCache from '@actions/cache';
import {
  type GitHubCacheClient,
  githubCacheKey,
  githubRestoreKeys,
  restoreFromGitHub,
  saveToGitHub,
} from '../src/github-fallback';

const parts = { os: 'Linux', arch: 'X64', nodeAbi: '137', key: 'abc123' };
const exactKey = 'harrier-node-modules-Linux-X64-abi137-abc123';

class RecordingLog {
  readonly lines: string[] = [];
  info(msg: string): void {
    this.lines.push(`info: ${msg}`);
  }
  warning(msg: string): void {
    this.lines.push(`warning: ${msg}`);
  }
  debug(msg: string): void {
    this.lines.push(`debug: ${msg}`);
  }
  warnings(): string[] {
    return this.lines.filter((line) => line.startsWith('warning: '));
  }
}

interface Call {
  fn: string;
  args: unknown[];
}

/** A stand-in for the GitHub cache service: entries by key, prefix lookup like the real one. */
function fakeClient(entries: string[], options: { available?: boolean; failWith?: Error } = {}) {
  const calls: Call[] = [];
  const client: GitHubCacheClient = {
    isFeatureAvailable: () => options.available ?? true,
    restoreCache: (paths, primaryKey, restoreKeys = [], opts) => {
      calls.push({ fn: 'restoreCache', args: [paths, primaryKey, restoreKeys, opts] });
      if (options.failWith) return Promise.reject(options.failWith);
      if (entries.includes(primaryKey)) return Promise.resolve(primaryKey);
      for (const prefix of restoreKeys) {
        const found = [...entries].reverse().find((entry) => entry.startsWith(prefix));
        if (found) return Promise.resolve(found);
      }
      return Promise.resolve(undefined);
    },
    saveCache: (paths, key) => {
      calls.push({ fn: 'saveCache', args: [paths, key] });
      if (options.failWith) return Promise.reject(options.failWith);
      entries.push(key);
      return Promise.resolve(entries.length);
    },
  };
  return { client, calls, entries };
}

describe('GitHub cache fallback', () => {
  it('builds the key from platform, arch, Node ABI and the content key', () => {
    assert.equal(githubCacheKey(parts), exactKey);
  });

  it('restores by prefix only within the same platform, arch and ABI', () => {
    assert.deepEqual(githubRestoreKeys(parts), ['harrier-node-modules-Linux-X64-abi137-']);
  });

  it('reports a hit when the exact key is restored', async () => {
    const { client, calls } = fakeClient([exactKey]);
    const result = await restoreFromGitHub({
      client,
      path: '/w/node_modules',
      parts,
      log: new RecordingLog(),
    });
    assert.deepEqual(result, { hit: true, restoredKey: exactKey, key: exactKey });
    assert.deepEqual(calls[0]?.args.slice(0, 3), [
      ['/w/node_modules'],
      exactKey,
      ['harrier-node-modules-Linux-X64-abi137-'],
    ]);
  });

  it('restores an older key of the same platform as a partial restore, not a hit', async () => {
    const older = 'harrier-node-modules-Linux-X64-abi137-old999';
    const { client } = fakeClient([older, 'harrier-node-modules-Linux-X64-abi127-abc123']);
    const result = await restoreFromGitHub({
      client,
      path: '/w/node_modules',
      parts,
      log: new RecordingLog(),
    });
    assert.deepEqual(result, { hit: false, restoredKey: older, key: exactKey });
  });

  it('never restores an entry built for another Node ABI', async () => {
    const { client } = fakeClient(['harrier-node-modules-Linux-X64-abi127-abc123']);
    const result = await restoreFromGitHub({
      client,
      path: '/w/node_modules',
      parts,
      log: new RecordingLog(),
    });
    assert.equal(result.restoredKey, '');
  });

  it('turns a failing restore into a warning and a miss', async () => {
    const { client } = fakeClient([], { failWith: new Error('socket hang up') });
    const log = new RecordingLog();
    const result = await restoreFromGitHub({ client, path: '/w/node_modules', parts, log });
    assert.equal(result.hit, false);
    assert.match(log.warnings().join('\n'), /restore failed \(socket hang up\)/);
  });

  it('saves a new key', async () => {
    const { client, entries } = fakeClient([]);
    const result = await saveToGitHub({ client, path: '/w/node_modules', parts, log: new RecordingLog() });
    assert.deepEqual(result, { stored: true, key: exactKey, reason: 'saved' });
    assert.deepEqual(entries, [exactKey]);
  });

  it('skips the upload when the exact key already exists, looking it up without downloading', async () => {
    const { client, calls } = fakeClient([exactKey]);
    const result = await saveToGitHub({ client, path: '/w/node_modules', parts, log: new RecordingLog() });
    assert.equal(result.stored, false);
    assert.equal(result.reason, 'unchanged');
    assert.deepEqual(calls[0]?.args[3], { lookupOnly: true });
    assert.equal(calls.filter((call) => call.fn === 'saveCache').length, 0);
  });

  it('reports a save the library logged as failed (-1) as not stored', async () => {
    const { client } = fakeClient([]);
    client.saveCache = () => Promise.resolve(-1);
    const log = new RecordingLog();
    const result = await saveToGitHub({ client, path: '/w/node_modules', parts, log });
    assert.equal(result.stored, false);
    assert.equal(log.warnings().length, 1);
  });

  it('turns a throwing save into a warning', async () => {
    const { client } = fakeClient([], { failWith: new Error('reserve failed') });
    const log = new RecordingLog();
    const result = await saveToGitHub({ client, path: '/w/node_modules', parts, log });
    assert.equal(result.stored, false);
    assert.match(log.warnings().join('\n'), /save failed \(reserve failed\)/);
  });

  describe('with the real @actions/cache outside a GitHub job', () => {
    const saved = { ...process.env };
    beforeEach(() => {
      delete process.env.ACTIONS_CACHE_URL;
      delete process.env.ACTIONS_RESULTS_URL;
      delete process.env.ACTIONS_CACHE_SERVICE_V2;
    });
    afterEach(() => {
      process.env = { ...saved };
    });

    it('finds the service unavailable and restores nothing, with a warning', async () => {
      assert.equal(actionsCache.isFeatureAvailable(), false);
      const log = new RecordingLog();
      const result = await restoreFromGitHub({ client: actionsCache, path: '/w/node_modules', parts, log });
      assert.deepEqual(result, { hit: false, restoredKey: '', key: exactKey });
      assert.match(log.warnings().join('\n'), /not available/);
    });

    it('finds the service unavailable and saves nothing, with a warning', async () => {
      const log = new RecordingLog();
      const result = await saveToGitHub({ client: actionsCache, path: '/w/node_modules', parts, log });
      assert.equal(result.stored, false);
      assert.match(log.warnings().join('\n'), /not available/);
    });
  });
});
