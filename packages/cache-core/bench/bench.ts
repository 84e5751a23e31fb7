// `pnpm bench` (packages/cache-core): restore + `npm install` with Harrier's image and tar
// formats against what users would do instead, and store against the bare tools, on the medium
// bench project (/work/shared/bench/README.md). Everything is measured paired, in one run, N
// times; the medians and the ratios against issue 3's targets are printed.
//
// Environment: HARRIER_BENCH_RUNS (default 3), HARRIER_BENCH_COLD_RUNS (default the same; each
// downloads the whole dependency tree), HARRIER_BENCH_PROJECT, HARRIER_BENCH_DIR (default
// <repo>/.bench). Needs root and loop devices for the image format. Not part of the tests.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  computeKey,
  detectNodeAbi,
  loadCache,
  type Logger,
  readRunContext,
  releaseMount,
  resolveKeyFiles,
  storeCache,
} from '../src/index';
import { Samples, timeAsync, timeCommand } from './measure';

const RUNS = Number(process.env.HARRIER_BENCH_RUNS ?? 3);
const COLD_RUNS = Number(process.env.HARRIER_BENCH_COLD_RUNS ?? RUNS);
const PROJECT =
  process.env.HARRIER_BENCH_PROJECT ??
  new URL('../../../../shared/bench/projects/medium', import.meta.url).pathname;
const DIR = resolve(process.env.HARRIER_BENCH_DIR ?? new URL('../../../.bench', import.meta.url).pathname);

const dirs = {
  project: join(DIR, 'project'),
  warmCache: join(DIR, 'npm-cache-warm'),
  coldCache: join(DIR, 'npm-cache-cold'),
  roots: { image: join(DIR, 'root-image'), tar: join(DIR, 'root-tar') },
  runnerTemp: join(DIR, 'runner-temp'),
  bare: join(DIR, 'bare'),
};
const nodeModules = join(dirs.project, 'node_modules');
const gnuArchive = join(DIR, 'bare', 'gnu.tar.zst');

/** Only warnings matter here: the info lines are the progress logs the actions print. */
const log: Logger = {
  info: () => undefined,
  debug: () => undefined,
  warning: (msg) => console.warn(`warning: ${msg}`),
};

function npmEnv(cache: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    npm_config_cache: cache,
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  };
}

const npm = (args: string[], cache: string) =>
  timeCommand('npm', args, { cwd: dirs.project, env: npmEnv(cache) });
// Each timed step starts from the same disk state: deleting ~24,000 files leaves seconds of
// write-back behind, which would otherwise land on whichever measure runs next.
const removeNodeModules = () => {
  rmSync(nodeModules, { recursive: true, force: true });
  execFileSync('sync');
};

function context(branch: string) {
  return readRunContext({
    GITHUB_WORKSPACE: dirs.project,
    GITHUB_REPOSITORY: 'bench/medium',
    GITHUB_REF_NAME: branch,
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
    RUNNER_TEMP: dirs.runnerTemp,
    GITHUB_RUN_ID: 'bench',
  });
}

async function main(): Promise<void> {
  for (const dir of [dirs.roots.image, dirs.roots.tar, dirs.runnerTemp, dirs.bare, dirs.coldCache]) {
    rmSync(dir, { recursive: true, force: true });
  }
  for (const dir of [dirs.project, dirs.runnerTemp, dirs.bare, dirs.roots.image, dirs.roots.tar]) {
    mkdirSync(dir, { recursive: true });
  }
  for (const file of ['package.json', 'package-lock.json'])
    cpSync(join(PROJECT, file), join(dirs.project, file));

  console.log(`setup: npm ci into ${dirs.project} (fills the warm npm cache)`);
  removeNodeModules();
  await npm(['ci', '--prefer-offline'], dirs.warmCache);
  const key = await computeKey(resolveKeyFiles(dirs.project, ''));
  const nodeAbi = await detectNodeAbi(process.env);
  const store = (format: 'image' | 'tar', branch: string) =>
    storeCache({
      context: context(branch),
      cacheRoot: dirs.roots[format],
      path: nodeModules,
      key,
      nodeAbi,
      mode: format,
      keep: 2,
      log,
    });
  for (const format of ['image', 'tar'] as const) {
    const result = await store(format, 'main');
    if (!result.stored) throw new Error(`setup store (${format}) did not store: ${result.reason}`);
  }
  await timeCommand('sh', [
    '-c',
    `tar -C ${dirs.project} -cf - node_modules | zstd -T0 -3 -q -o ${gnuArchive}`,
  ]);

  const samples = new Samples();
  for (let run = 1; run <= RUNS; run++) {
    console.log(`run ${run}/${RUNS}`);
    if (run <= COLD_RUNS) {
      removeNodeModules();
      rmSync(dirs.coldCache, { recursive: true, force: true });
      samples.add('npm ci, empty npm cache', await npm(['ci'], dirs.coldCache));
    }
    removeNodeModules();
    samples.add(
      'npm ci --prefer-offline, warm npm cache',
      await npm(['ci', '--prefer-offline'], dirs.warmCache),
    );

    // Stores read the plain tree npm ci just wrote.
    for (const format of ['image', 'tar'] as const) {
      samples.add(`store unchanged (${format})`, await timeAsync(() => store(format, 'main')));
      samples.add(`store changed (${format})`, await timeAsync(() => store(format, `changed-${run}`)));
    }
    const bareImage = join(dirs.bare, `run-${run}.sqsh`);
    // Same settings as cache-core's image builder (zstd level 3), so only the overhead differs.
    samples.add(
      'bare mksquashfs -comp zstd -Xcompression-level 3',
      await timeCommand('mksquashfs', [
        nodeModules,
        bareImage,
        '-comp',
        'zstd',
        '-Xcompression-level',
        '3',
        '-noappend',
        '-quiet',
        '-no-progress',
      ]),
    );
    samples.add(
      'bare tar + zstd -T0 -3 (pipe)',
      await timeCommand('sh', [
        '-c',
        `tar -C ${dirs.project} -cf - node_modules | zstd -T0 -3 -q -o ${join(dirs.bare, `run-${run}.tar.zst`)}`,
      ]),
    );
    rmSync(bareImage, { force: true });
    rmSync(join(dirs.bare, `run-${run}.tar.zst`), { force: true });

    removeNodeModules();
    samples.add(
      'GNU tar -I zstd restore',
      await timeCommand('tar', ['-I', 'zstd -T0', '-xf', gnuArchive, '-C', dirs.project]),
    );
    samples.add(
      'GNU tar -I zstd restore: npm install',
      await npm(['install', '--prefer-offline'], dirs.warmCache),
    );

    for (const format of ['tar', 'image'] as const) {
      removeNodeModules();
      let mount: Awaited<ReturnType<typeof loadCache>>['mount'];
      samples.add(
        `Harrier ${format} restore`,
        await timeAsync(async () => {
          const result = await loadCache({
            context: context('main'),
            cacheRoot: dirs.roots[format],
            path: nodeModules,
            key,
            nodeAbi,
            mode: format,
            restoreFromAnyBranch: false,
            log,
          });
          if (!result.hit) throw new Error(`Harrier ${format} restore missed`);
          mount = result.mount;
        }),
      );
      samples.add(
        `Harrier ${format} restore: npm install`,
        await npm(['install', '--prefer-offline'], dirs.warmCache),
      );
      if (mount) await releaseMount(mount, log);
    }
  }
  removeNodeModules();
  report(samples);
}

function report(samples: Samples): void {
  const m = (name: string) => samples.median(name);
  const total = (restore: string) => m(restore) + m(`${restore}: npm install`);
  const rows: [string, number][] = [
    ['npm ci, empty npm cache', m('npm ci, empty npm cache')],
    ['npm ci --prefer-offline, warm npm cache', m('npm ci --prefer-offline, warm npm cache')],
    ['GNU tar -I zstd restore + npm install', total('GNU tar -I zstd restore')],
    ['Harrier tar restore + npm install', total('Harrier tar restore')],
    ['Harrier image restore + npm install', total('Harrier image restore')],
  ];
  console.log(`\nMedians of ${RUNS} paired runs (cold npm ci: ${COLD_RUNS}), ${PROJECT}\n`);
  console.log('| measure | median (s) | samples (s) |');
  console.log('|---|---:|---|');
  for (const [name, values] of samples.entries()) {
    console.log(`| ${name} | ${m(name).toFixed(3)} | ${values.map((v) => v.toFixed(3)).join(', ')} |`);
  }
  for (const [name, seconds] of rows) console.log(`| **${name}** | ${seconds.toFixed(3)} | |`);

  const targets: [string, number, string, boolean][] = [];
  const faster = (name: string, baseline: number, candidate: number, goal: number) =>
    targets.push([name, baseline / candidate, `≥ ${goal}×`, baseline / candidate >= goal]);
  faster('image vs warm npm ci', rows[1]![1], rows[4]![1], 10);
  faster('image vs cold npm ci', rows[0]![1], rows[4]![1], 15);
  faster('tar vs warm npm ci', rows[1]![1], rows[3]![1], 1.8);
  const within = (name: string, candidate: number, baseline: number, goal: number) =>
    targets.push([name, candidate / baseline, `≤ ${goal}×`, candidate / baseline <= goal]);
  within('tar restore vs GNU tar restore', m('Harrier tar restore'), m('GNU tar -I zstd restore'), 1.1);
  within(
    'store changed (image) vs mksquashfs',
    m('store changed (image)'),
    m('bare mksquashfs -comp zstd -Xcompression-level 3'),
    1.5,
  );
  within(
    'store changed (tar) vs tar + zstd',
    m('store changed (tar)'),
    m('bare tar + zstd -T0 -3 (pipe)'),
    1.5,
  );
  for (const format of ['image', 'tar']) {
    const seconds = m(`store unchanged (${format})`);
    targets.push([`store unchanged (${format}), seconds`, seconds, '≤ 0.5 s', seconds <= 0.5]);
  }
  console.log('\n| target | measured | goal | met |');
  console.log('|---|---:|---|---|');
  for (const [name, value, goal, met] of targets) {
    console.log(`| ${name} | ${value.toFixed(2)} | ${goal} | ${met ? 'yes' : 'NO'} |`);
  }
}

if (!existsSync(PROJECT)) throw new Error(`bench project ${PROJECT} not found`);
await main();
