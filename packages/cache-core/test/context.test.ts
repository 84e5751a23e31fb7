import assert from 'node:assert/strict';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  detectNodeAbi,
  parseKeep,
  parseMode,
  readRunContext,
  resolveCachePath,
  resolveCacheRoot,
  resolveKeyFiles,
} from '../src/context';
import { CacheInputError } from '../src/errors';
import { computeKey } from '../src/keys';
import { cleanupScratch, tempDir } from './helpers/project';

async function runnerEnv(event: unknown, extra: NodeJS.ProcessEnv = {}): Promise<NodeJS.ProcessEnv> {
  const dir = await tempDir('event');
  const eventPath = path.join(dir, 'event.json');
  await writeFile(eventPath, JSON.stringify(event));
  return {
    GITHUB_WORKSPACE: '/home/runner/work/shop/shop',
    GITHUB_REPOSITORY: 'octo-org/shop',
    GITHUB_REF_NAME: 'feature/login',
    GITHUB_REF: 'refs/heads/feature/login',
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_RUN_ID: '42',
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
    RUNNER_TEMP: '/home/runner/work/_temp',
    ...extra,
  };
}

describe('the run context', () => {
  after(cleanupScratch);

  it('scopes a push to its branch, encoded as one directory, and knows the default branch', async () => {
    const context = readRunContext(await runnerEnv({ repository: { default_branch: 'main' } }));

    assert.deepEqual(context, {
      workspace: '/home/runner/work/shop/shop',
      repository: 'octo-org/shop',
      branch: 'feature/login',
      scopeDir: 'feature%2Flogin',
      scopeLabel: 'feature/login',
      defaultBranch: 'main',
      os: 'Linux',
      arch: 'X64',
      runId: '42',
      tempDir: '/home/runner/work/_temp',
    });
  });

  it('scopes a pull request to pull/<number>, even when its head branch is called main', async () => {
    const env = await runnerEnv(
      { pull_request: { number: 17, base: { ref: 'release' } }, repository: { default_branch: 'main' } },
      {
        GITHUB_REF_NAME: '17/merge',
        GITHUB_REF: 'refs/pull/17/merge',
        GITHUB_HEAD_REF: 'main',
        GITHUB_BASE_REF: 'release',
      },
    );

    const context = readRunContext(env);

    assert.equal(context.scopeDir, 'pull/17');
    assert.equal(context.scopeLabel, 'pull/17');
    assert.equal(context.branch, 'main');
    assert.equal(context.prNumber, 17);
    assert.equal(context.baseBranch, 'release');
  });

  it('takes the pull request number from GITHUB_REF when the event file lacks it', async () => {
    const env = await runnerEnv(
      {},
      { GITHUB_REF: 'refs/pull/9/merge', GITHUB_HEAD_REF: 'fix', GITHUB_BASE_REF: 'main' },
    );

    assert.equal(readRunContext(env).scopeDir, 'pull/9');
  });

  it('names every missing runner variable', () => {
    assert.throws(
      () => readRunContext({ GITHUB_REPOSITORY: 'octo-org/shop', RUNNER_OS: 'Linux' }),
      (error: unknown) =>
        error instanceof CacheInputError &&
        /GITHUB_WORKSPACE, GITHUB_REF_NAME, RUNNER_ARCH, RUNNER_TEMP/.test(error.message),
    );
  });

  it('refuses a repository that is not owner/repo', () => {
    assert.throws(
      () =>
        readRunContext({
          ...process.env,
          GITHUB_WORKSPACE: '/w',
          GITHUB_REPOSITORY: '../x',
          GITHUB_REF_NAME: 'main',
          RUNNER_OS: 'Linux',
          RUNNER_ARCH: 'X64',
          RUNNER_TEMP: '/t',
        }),
      CacheInputError,
    );
  });
});

describe('inputs', () => {
  after(cleanupScratch);

  it('path resolves inside the workspace and defaults to node_modules', () => {
    assert.equal(resolveCachePath('/w/shop', ''), '/w/shop/node_modules');
    assert.equal(resolveCachePath('/w/shop', 'web/node_modules'), '/w/shop/web/node_modules');
    assert.equal(resolveCachePath('/w/shop', '/w/shop/node_modules'), '/w/shop/node_modules');
  });

  it('path outside the workspace, or the workspace itself, is an input error', () => {
    for (const input of ['../other', '/etc', '.', 'web/../..']) {
      assert.throws(() => resolveCachePath('/w/shop', input), CacheInputError, input);
    }
  });

  it('key files default to package.json plus whichever lockfiles exist', async () => {
    const workspace = await tempDir('ws');
    await writeFile(path.join(workspace, 'package.json'), '{}');
    await writeFile(path.join(workspace, 'pnpm-lock.yaml'), '');

    assert.deepEqual(resolveKeyFiles(workspace, ''), [
      path.join(workspace, 'package.json'),
      path.join(workspace, 'pnpm-lock.yaml'),
    ]);
  });

  it('no key files at all is an input error naming what was looked for', async () => {
    const workspace = await tempDir('ws');

    assert.throws(
      () => resolveKeyFiles(workspace, ''),
      /looked for package\.json, package-lock\.json, npm-shrinkwrap\.json, pnpm-lock\.yaml, yarn\.lock/,
    );
  });

  it('listed key files must exist inside the workspace', async () => {
    const workspace = await tempDir('ws');
    await mkdir(path.join(workspace, 'web'));
    await writeFile(path.join(workspace, 'web', 'package.json'), '{}');

    assert.deepEqual(resolveKeyFiles(workspace, 'web/package.json\n\n'), [
      path.join(workspace, 'web', 'package.json'),
    ]);
    assert.throws(() => resolveKeyFiles(workspace, 'web/yarn.lock'), /does not exist/);
    assert.throws(() => resolveKeyFiles(workspace, '../package.json'), /not inside the workspace/);
  });

  it('the cache root is the input, else HARRIER_CACHE_ROOT, else /mnt/harrier-cache, and must be absolute', () => {
    assert.equal(resolveCacheRoot('/data/cache', { HARRIER_CACHE_ROOT: '/env' }), '/data/cache');
    assert.equal(resolveCacheRoot('', { HARRIER_CACHE_ROOT: '/env' }), '/env');
    assert.equal(resolveCacheRoot('', {}), '/mnt/harrier-cache');
    assert.throws(() => resolveCacheRoot('relative', {}), CacheInputError);
  });

  it('mode and keep accept only what they document', () => {
    assert.equal(parseMode(''), 'auto');
    assert.equal(parseMode('image'), 'image');
    assert.throws(() => parseMode('zip'), CacheInputError);
    assert.equal(parseKeep(''), 2);
    assert.equal(parseKeep('5'), 5);
    for (const bad of ['0', '-1', '1.5', 'many']) assert.throws(() => parseKeep(bad), CacheInputError, bad);
  });
});

describe('keys and the Node ABI', () => {
  after(cleanupScratch);

  it('the key depends on file names and contents, not on input order or checkout location', async () => {
    const [a, b] = [await tempDir('a'), await tempDir('b')];
    for (const dir of [a, b]) {
      await writeFile(path.join(dir, 'package.json'), '{"dependencies":{"x":"1"}}');
      await writeFile(path.join(dir, 'package-lock.json'), '{"lockfileVersion":3}');
    }
    const files = (dir: string): string[] => [
      path.join(dir, 'package.json'),
      path.join(dir, 'package-lock.json'),
    ];

    const key = await computeKey(files(a));

    assert.match(key, /^[0-9a-f]{64}$/);
    assert.equal(await computeKey(files(b).reverse()), key);
    await writeFile(path.join(b, 'package-lock.json'), '{"lockfileVersion":2}');
    assert.notEqual(await computeKey(files(b)), key);
  });

  it('the Node ABI is that of the node on PATH, not of this process', async () => {
    const bin = await tempDir('bin');
    await writeFile(path.join(bin, 'node'), '#!/bin/sh\necho 999\n');
    await chmod(path.join(bin, 'node'), 0o755);

    assert.equal(await detectNodeAbi({ ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` }), '999');
    assert.equal(await detectNodeAbi(process.env), process.versions.modules);
  });
});
