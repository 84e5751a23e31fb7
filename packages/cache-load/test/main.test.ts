import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GitHubCacheClient } from '@harrier/cache-core/github-fallback';
import { run } from '../src/main';
import { runPost } from '../src/post';
import { RecordingIO } from './support/recording-io';

describe('cache-load logic (runner IO injected)', () => {
  let workspace = '';
  let env: NodeJS.ProcessEnv = {};
  beforeEach(() => {
    workspace = mkdtempSync(join(tmpdir(), 'harrier-main-'));
    writeFileSync(join(workspace, 'package.json'), '{"name":"x"}');
    env = {
      PATH: process.env.PATH,
      GITHUB_WORKSPACE: workspace,
      GITHUB_REPOSITORY: 'acme/shop',
      GITHUB_REF_NAME: 'main',
      RUNNER_OS: 'Linux',
      RUNNER_ARCH: 'X64',
      RUNNER_TEMP: join(workspace, '.tmp'),
    };
  });
  afterEach(() => rmSync(workspace, { recursive: true, force: true }));

  const notMounted = () => ({ 'cache-root': join(workspace, 'no-such-root') });
  const github = (overrides: Partial<GitHubCacheClient>): GitHubCacheClient => ({
    isFeatureAvailable: () => true,
    restoreCache: () => Promise.resolve(undefined),
    saveCache: () => Promise.resolve(1),
    ...overrides,
  });

  it('fails the step with the missing variables named when not run inside a job', async () => {
    const io = new RecordingIO();
    await run({ io, env: { PATH: process.env.PATH }, github: github({}) });
    assert.match(io.failed ?? '', /Missing runner environment variable\(s\): GITHUB_WORKSPACE/);
  });

  it('turns an unexpected error of the cache service into a warning and "nothing restored"', async () => {
    const io = new RecordingIO(notMounted());
    const broken = github({
      isFeatureAvailable: () => {
        throw new Error('service exploded');
      },
    });
    await run({ io, env, github: broken });
    assert.equal(io.failed, undefined);
    assert.match(io.warnings.join('\n'), /service exploded; continuing without cache/);
    assert.deepEqual(io.outputs, { 'cache-hit': 'false', 'restored-key': '', 'restored-branch': '' });
  });

  it("reports GitHub's exact key as a hit and writes the summary", async () => {
    let askedFor = '';
    const io = new RecordingIO(notMounted());
    const client = github({
      restoreCache: (_paths, primaryKey) => {
        askedFor = primaryKey;
        return Promise.resolve(primaryKey);
      },
    });
    await run({ io, env, github: client });
    assert.match(askedFor, /^harrier-node-modules-Linux-X64-abi\d+-[0-9a-f]{64}$/);
    assert.deepEqual(io.outputs, { 'cache-hit': 'true', 'restored-key': askedFor, 'restored-branch': '' });
    assert.equal(io.summaries.length, 1);
  });

  it('post step does nothing when nothing was mounted', async () => {
    const io = new RecordingIO();
    await runPost(io);
    assert.deepEqual(io.warnings, []);
    assert.equal(io.failed, undefined);
  });

  it('post step warns, never fails, when the saved mount state is unusable', async () => {
    const io = new RecordingIO({}, { 'harrier-mount': '{not json' });
    await runPost(io);
    assert.equal(io.failed, undefined);
    assert.equal(io.warnings.length, 1);
  });
});
