// End to end: the committed dist/ bundles of cache-load and cache-store, run as child processes
// the way the runner runs them, on the real small npm project, against a temporary cache root.
// Tests inside a `mode` block form one job history and run in order (first run, second run, ...).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  readdirSync,
  readFileSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { npmInstall, Sandbox } from './support/project';
import { type ActionRun, runAction } from './support/run-action';
import { snapshotTree, type TreeEntry } from './support/tree';

const LOAD_ACTION = fileURLToPath(new URL('..', import.meta.url));
const STORE_ACTION = fileURLToPath(new URL('../../cache-store', import.meta.url));

type Job = Parameters<Sandbox['jobEnv']>[1];

/** Anything this large in an entry is archive data, not metadata. */
const DATA_FILE_BYTES = 64 * 1024;

function isMounted(path: string): boolean {
  return spawnSync('findmnt', ['-n', path]).status === 0;
}

function changePackageJson(ws: string, description: string): void {
  const file = join(ws, 'package.json');
  const pkg = JSON.parse(readFileSync(file, 'utf8'));
  pkg.description = description;
  writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`);
}

/** Every file below a directory, largest first. */
function filesBySize(dir: string): string[] {
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else files.push(full);
    }
  };
  if (existsSync(dir)) walk(dir);
  return files.sort((a, b) => statSync(b).size - statSync(a).size);
}

function assertSucceeded(run: ActionRun): void {
  assert.equal(run.code, 0, `the step failed:\n${run.stdout}\n${run.stderr}`);
  assert.deepEqual(run.errors, [], run.stdout);
}

describe('cache-load and cache-store bundles, run as the runner runs them (small npm project)', function () {
  this.timeout(120_000);
  const sandbox = new Sandbox();
  let installedTree: TreeEntry[];

  before(function () {
    this.timeout(180_000);
    sandbox.install();
    installedTree = snapshotTree(join(sandbox.pristine, 'node_modules'));
  });
  after(() => sandbox.dispose());

  for (const mode of ['tar', 'image'] as const) {
    describe(`mode: ${mode}`, () => {
      let cacheRoot = '';
      let firstKey = '';
      const repoDir = (): string => join(cacheRoot, 'node-modules', 'acme', 'shop');
      const load = (ws: string, job?: Job, inputs: Record<string, string> = {}) =>
        runAction({
          actionDir: LOAD_ACTION,
          env: sandbox.jobEnv(ws, job),
          inputs: { 'cache-root': cacheRoot, mode, ...inputs },
        });
      const store = (ws: string, job?: Job, inputs: Record<string, string> = {}) =>
        runAction({
          actionDir: STORE_ACTION,
          env: sandbox.jobEnv(ws, job),
          inputs: { 'cache-root': cacheRoot, mode, ...inputs },
        });
      const post = (ws: string, loaded: ActionRun) =>
        runAction({ actionDir: LOAD_ACTION, step: 'post', env: sandbox.jobEnv(ws), state: loaded.state });
      /** A whole job: load, then (when asked) the post step, as the runner does at the job's end. */
      const loadAndRelease = async (ws: string, check: (loaded: ActionRun) => void, job?: Job) => {
        const loaded = await load(ws, job);
        try {
          check(loaded);
        } finally {
          assertSucceeded(await post(ws, loaded));
        }
        return loaded;
      };

      before(() => {
        cacheRoot = sandbox.dir(`cache-root-${mode}`);
      });

      it('misses on the first run, then stores the installed tree', async () => {
        const ws = sandbox.workspace({ installed: false });
        const loaded = await load(ws);
        assertSucceeded(loaded);
        assert.deepEqual(loaded.outputs, { 'cache-hit': 'false', 'restored-key': '', 'restored-branch': '' });

        execFileSync('cp', ['-a', join(sandbox.pristine, 'node_modules'), join(ws, 'node_modules')]);
        const stored = await store(ws);
        assertSucceeded(stored);
        assert.equal(stored.outputs.stored, 'true');
        assert.match(stored.outputs.key ?? '', /\w{8,}/);
        assert.ok(stored.summary.includes(stored.outputs.key!), stored.summary);
        const dataSuffix = mode === 'image' ? '.sqsh' : '.tar.zst';
        assert.ok(
          readdirSync(join(repoDir(), 'main')).some((file) => file.endsWith(dataSuffix)),
          `a ${mode} entry (${dataSuffix}) is written`,
        );
        firstKey = stored.outputs.key!;
      });

      it('restores a byte-identical tree on the second run, and npm install has nothing to do', async () => {
        const ws = sandbox.workspace({ installed: false });
        const loaded = await loadAndRelease(ws, (run) => {
          assertSucceeded(run);
          assert.deepEqual(run.outputs, {
            'cache-hit': 'true',
            'restored-key': firstKey,
            'restored-branch': 'main',
          });
          assert.deepEqual(snapshotTree(join(ws, 'node_modules')), installedTree);
          assert.match(npmInstall(ws), /up to date/);
          assert.match(run.summary, /<td>result<\/td><td>hit<\/td>/);
          assert.match(run.summary, new RegExp(`<td>format</td><td>${mode}</td>`));
          assert.match(run.stdout, /MB/);
        });
        if (mode === 'image')
          assert.ok(loaded.state['harrier-mount'], 'image mode saves its mount for the post step');
      });

      if (mode === 'image') {
        it('mounts at path and the post step unmounts it', async () => {
          const ws = sandbox.workspace({ installed: false });
          const loaded = await load(ws);
          assertSucceeded(loaded);
          assert.ok(isMounted(join(ws, 'node_modules')), 'node_modules is a mount point after the load');
          assertSucceeded(await post(ws, loaded));
          assert.equal(
            isMounted(join(ws, 'node_modules')),
            false,
            'nothing is left mounted after the post step',
          );
        });
      }

      it('does not store again when the branch already has this key', async () => {
        const ws = sandbox.workspace({ installed: true });
        const stored = await store(ws);
        assertSucceeded(stored);
        assert.deepEqual(stored.outputs, { stored: 'false', key: firstKey });
      });

      it('stores a new entry when package.json changes, and the next run hits it', async () => {
        const ws = sandbox.workspace({ installed: true });
        changePackageJson(ws, 'changed dependencies');
        const stored = await store(ws);
        assertSucceeded(stored);
        assert.equal(stored.outputs.stored, 'true');
        assert.notEqual(stored.outputs.key, firstKey);

        const next = sandbox.workspace({ installed: false });
        changePackageJson(next, 'changed dependencies');
        await loadAndRelease(next, (run) => {
          assertSucceeded(run);
          assert.equal(run.outputs['cache-hit'], 'true');
          assert.equal(run.outputs['restored-key'], stored.outputs.key);
        });
      });

      if (mode === 'image') {
        it('stores from the mounted overlay after an image restore and a dependency change', async () => {
          const ws = sandbox.workspace({ installed: false });
          const loaded = await load(ws);
          try {
            assertSucceeded(loaded);
            assert.ok(isMounted(join(ws, 'node_modules')));
            // What an install step changing dependencies does: files land in the writable layer.
            writeFileSync(join(ws, 'node_modules', 'added-by-install.txt'), 'new\n');
            changePackageJson(ws, 'overlay store');
            const stored = await store(ws);
            assertSucceeded(stored);
            assert.equal(stored.outputs.stored, 'true');
          } finally {
            assertSucceeded(await post(ws, loaded));
          }
          const next = sandbox.workspace({ installed: false });
          changePackageJson(next, 'overlay store');
          await loadAndRelease(next, (run) => {
            assertSucceeded(run);
            assert.equal(run.outputs['cache-hit'], 'true');
            assert.equal(readFileSync(join(next, 'node_modules', 'added-by-install.txt'), 'utf8'), 'new\n');
          });
        });
      }

      it('restores a new branch from the default branch', async () => {
        const ws = sandbox.workspace({ installed: false });
        await loadAndRelease(
          ws,
          (run) => {
            assertSucceeded(run);
            assert.equal(run.outputs['restored-branch'], 'main');
            assert.notEqual(run.outputs['restored-key'], '');
            assert.ok(existsSync(join(ws, 'node_modules', 'express', 'package.json')));
          },
          { branch: 'feature/login' },
        );
      });

      it("keeps a pull request's entries under pull/<number>, never under its head branch", async () => {
        // A fork's branch named `main`: the PR must restore from its base but never write into `main`.
        const pr = {
          branch: '7/merge',
          headRef: 'main',
          baseRef: 'main',
          event: {
            number: 7,
            pull_request: { number: 7, head: { ref: 'main' }, base: { ref: 'main' } },
            repository: { default_branch: 'main', full_name: 'acme/shop' },
          },
        };
        const mainBefore = readdirSync(join(repoDir(), 'main')).sort();
        const ws = sandbox.workspace({ installed: false });
        await loadAndRelease(
          ws,
          (run) => {
            assertSucceeded(run);
            assert.equal(run.outputs['restored-branch'], 'main');
          },
          pr,
        );
        const installed = sandbox.workspace({ installed: true });
        changePackageJson(installed, 'pull request dependencies');
        const stored = await store(installed, pr);
        assertSucceeded(stored);
        assert.equal(stored.outputs.stored, 'true');
        assert.deepEqual(readdirSync(join(repoDir(), 'main')).sort(), mainBefore);
        assert.ok(
          existsSync(join(repoDir(), 'pull', '7')),
          `no pull/7 scope in ${readdirSync(repoDir()).join(', ')}`,
        );
      });

      it('lets two jobs store the same branch at once, both succeeding', async () => {
        const a = sandbox.workspace({ installed: true });
        const b = sandbox.workspace({ installed: true });
        changePackageJson(a, 'concurrent a');
        changePackageJson(b, 'concurrent b');
        const runs = await Promise.all([store(a, { branch: 'race' }), store(b, { branch: 'race' })]);
        for (const run of runs) {
          assertSucceeded(run);
          assert.equal(run.outputs.stored, 'true');
        }
        const ws = sandbox.workspace({ installed: false });
        changePackageJson(ws, 'concurrent b');
        await loadAndRelease(
          ws,
          (run) => {
            assertSucceeded(run);
            assert.equal(run.outputs['restored-branch'], 'race');
            assert.equal(run.outputs['cache-hit'], 'true');
            assert.deepEqual(run.warnings, []);
          },
          { branch: 'race' },
        );
      });

      it("restores another branch's entry only with restore-from-any-branch", async () => {
        // `race` holds the only entry with this key; main and the default branch hold other keys.
        const job = { branch: 'feature/other' };
        const ws = sandbox.workspace({ installed: false });
        changePackageJson(ws, 'concurrent a');
        await loadAndRelease(ws, (run) => assert.equal(run.outputs['restored-branch'], 'main'), job);

        const optedIn = sandbox.workspace({ installed: false });
        changePackageJson(optedIn, 'concurrent a');
        const loaded = await load(optedIn, job, { 'restore-from-any-branch': 'true' });
        assertSucceeded(await post(optedIn, loaded));
        assert.equal(loaded.outputs['restored-branch'], 'race');
        assert.equal(loaded.outputs['cache-hit'], 'true');
      });

      it("skips corrupt entries with a warning and falls back to the default branch's", async () => {
        // Same size, flipped bytes: only the checksum can tell.
        const damaged = filesBySize(join(repoDir(), 'race')).filter(
          (file) => statSync(file).size >= DATA_FILE_BYTES,
        );
        assert.ok(damaged.length > 0, 'race has entries to damage');
        for (const file of damaged) {
          const bytes = readFileSync(file);
          for (let i = Math.floor(bytes.length / 2); i < bytes.length / 2 + 4096 && i < bytes.length; i++)
            bytes[i]! ^= 0xff;
          writeFileSync(file, bytes);
        }
        const ws = sandbox.workspace({ installed: false });
        changePackageJson(ws, 'concurrent b');
        await loadAndRelease(
          ws,
          (run) => {
            assertSucceeded(run);
            assert.ok(run.warnings.length > 0, `expected a warning:\n${run.stdout}`);
            assert.equal(run.outputs['restored-branch'], 'main');
            assert.equal(run.outputs['cache-hit'], 'false');
          },
          { branch: 'race' },
        );
      });

      it('treats truncated entries as a warning, never a failed job', async () => {
        // Cut every data file of `main` in half (metadata files are small): each candidate is bad.
        const damaged = filesBySize(join(repoDir(), 'main')).filter(
          (file) => statSync(file).size >= DATA_FILE_BYTES,
        );
        assert.ok(damaged.length > 0, 'main has entries to damage');
        for (const file of damaged) truncateSync(file, Math.floor(statSync(file).size / 2));
        const ws = sandbox.workspace({ installed: false });
        await loadAndRelease(ws, (run) => {
          assertSucceeded(run);
          assert.ok(run.warnings.length > 0, `expected a warning:\n${run.stdout}`);
        });
      });
    });
  }

  describe('without a cache root', () => {
    const missingRoot = (): string => join(sandbox.base, 'not-mounted');

    it("with fallback 'none', restores nothing and says so in a notice", async () => {
      const ws = sandbox.workspace({ installed: false });
      const run = await runAction({
        actionDir: LOAD_ACTION,
        env: sandbox.jobEnv(ws),
        inputs: { 'cache-root': missingRoot(), fallback: 'none' },
      });
      assertSucceeded(run);
      assert.deepEqual(run.outputs, { 'cache-hit': 'false', 'restored-key': '', 'restored-branch': '' });
      assert.equal(run.notices.length, 1, run.stdout);
      assert.deepEqual(run.warnings, []);
    });

    it("with fallback 'github' off GitHub's cache service, warns and carries on", async () => {
      const ws = sandbox.workspace({ installed: false });
      const run = await runAction({
        actionDir: LOAD_ACTION,
        env: sandbox.jobEnv(ws),
        inputs: { 'cache-root': missingRoot() },
      });
      assertSucceeded(run);
      assert.equal(run.outputs['cache-hit'], 'false');
      assert.match(run.warnings.join('\n'), /not available/);
    });

    it("stores nothing with fallback 'github' off GitHub's cache service, with a warning", async () => {
      const ws = sandbox.workspace({ installed: true });
      const run = await runAction({
        actionDir: STORE_ACTION,
        env: sandbox.jobEnv(ws),
        inputs: { 'cache-root': missingRoot() },
      });
      assertSucceeded(run);
      assert.equal(run.outputs.stored, 'false');
      assert.match(run.warnings.join('\n'), /not available/);
    });
  });

  describe('as published: a folder with only action.yml and dist/', () => {
    for (const [name, source] of [
      ['cache-load', LOAD_ACTION],
      ['cache-store', STORE_ACTION],
    ] as const) {
      it(`${name} runs without the workspace's node_modules or package.json`, async () => {
        const published = sandbox.dir(`published-${name}`);
        cpSync(join(source, 'action.yml'), join(published, 'action.yml'));
        cpSync(join(source, 'dist'), join(published, 'dist'), { recursive: true });
        const ws = sandbox.workspace({ installed: false });
        const run = await runAction({
          actionDir: published,
          env: sandbox.jobEnv(ws),
          inputs: { 'cache-root': join(sandbox.base, 'not-mounted'), fallback: 'none' },
        });
        assertSucceeded(run);
        assert.equal(run.notices.length, 1, run.stdout);
      });
    }
  });

  describe('invalid inputs fail the step with a clear message', () => {
    const cases: [action: string, inputs: Record<string, string>, message: RegExp][] = [
      [LOAD_ACTION, { mode: 'fast' }, /mode "fast" is not one of auto, image, tar/],
      [LOAD_ACTION, { fallback: 's3' }, /'fallback' must be one of 'github', 'none'; got 's3'/],
      [
        LOAD_ACTION,
        { 'restore-from-any-branch': 'yes' },
        /'restore-from-any-branch' must be 'true' or 'false'/,
      ],
      [LOAD_ACTION, { path: '../outside' }, /outside|workspace/i],
      [STORE_ACTION, { keep: '0' }, /keep "0" must be a whole number of entries, at least 1/],
    ];
    for (const [action, inputs, message] of cases) {
      const name = action === LOAD_ACTION ? 'cache-load' : 'cache-store';
      it(`${name} rejects ${JSON.stringify(inputs)}`, async () => {
        const ws = sandbox.workspace({ installed: false });
        const run = await runAction({
          actionDir: action,
          env: sandbox.jobEnv(ws),
          inputs: { 'cache-root': sandbox.dir('unused-root'), ...inputs },
        });
        assert.equal(run.code, 1);
        assert.match(run.errors.join('\n'), message);
      });
    }

    it('cache-load names the key files it looked for when none exist', async () => {
      const ws = sandbox.dir('empty-ws');
      const run = await runAction({
        actionDir: LOAD_ACTION,
        env: sandbox.jobEnv(ws),
        inputs: { 'cache-root': sandbox.dir('unused-root') },
      });
      assert.equal(run.code, 1);
      assert.match(run.errors.join('\n'), /package\.json/);
    });
  });
});
