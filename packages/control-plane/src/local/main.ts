/**
 * `pnpm local`: the whole of Harrier on this machine, driven through a scripted day, or kept
 * running behind `POST /webhook` and `GET /status` with `--serve`.
 */
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_PROJECT, runCacheDemo, type CacheDemoResult } from './cache-demo';
import { formatBytes, formatSeconds, percentile, table, Timeline } from './report';
import { ScriptedDay, type ScenarioResult } from './scenario';
import { portOf, serve } from './serve';
import { startLocalStack, type LocalStack } from './stack';

const USAGE = `usage: pnpm local [-- --serve [--port N] [--webhook-secret S]] [--time-factor F] [--json PATH] [--no-cache]`;

function describe(outcome: unknown): string | undefined {
  const o = outcome as { kind?: string; instanceId?: string } | undefined;
  if (!o?.kind || o.kind === 'ignored' || o.kind === 'recorded') return undefined;
  return `${o.instanceId ?? ''} → ${o.kind}`;
}

/**
 * Powertools Metrics warns on every flush without metrics (the stand-in deployment publishes none
 * when metrics are disabled); in a terminal that drowns the timeline. Only that line is dropped.
 */
function quietEmptyMetricsWarning(): void {
  const warn = console.warn.bind(console);
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].startsWith('No application metrics to publish')) return;
    warn(...args);
  };
}

async function main(): Promise<number> {
  quietEmptyMetricsWarning();
  const argv = process.argv.slice(2).filter((a) => a !== '--');
  const { values } = parseArgs({
    args: argv,
    options: {
      serve: { type: 'boolean', default: false },
      port: { type: 'string', default: '8080' },
      'webhook-secret': { type: 'string' },
      'time-factor': { type: 'string', default: '30' },
      json: { type: 'string', default: join(tmpdir(), 'harrier-local-report.json') },
      'no-cache': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const timeFactor = Number(values['time-factor']);
  const port = Number(values.port);
  if (!(timeFactor > 0) || !Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(USAGE);
    return 2;
  }

  const wallStart = performance.now();
  const out = (line: string): void => console.log(line);
  let timeline: Timeline | undefined;
  // Set once the stack is up; the stack's callbacks reach it through this holder.
  const scenarioRef: { current?: ScriptedDay } = {};
  const errors: string[] = [];
  const log = (kind: string, message: string): void => timeline?.add(kind, message);

  const stack: LocalStack = await startLocalStack({
    timeFactor,
    ...(values['webhook-secret'] ? { webhookSecret: values['webhook-secret'] } : {}),
    allowLoopbackWebhooks: values.serve,
    deliveryFilter: (delivery) => {
      if (delivery.action === 'in_progress') {
        const runner = (JSON.parse(delivery.body) as { workflow_job: { runner_name: string | null } })
          .workflow_job.runner_name;
        scenarioRef.current?.noteJobStarted(delivery.jobId, runner);
        log('github', `job ${delivery.jobId} picked up by runner ${runner ?? '?'}`);
      }
      return scenarioRef.current?.deliveryFilter(delivery) ?? 'deliver';
    },
    observer: {
      webhook: (delivery, status) => {
        if (delivery) log('webhook', `workflow_job.${delivery.action} job ${delivery.jobId} → ${status}`);
      },
      lifecycle: (event, outcome) => {
        const text = describe(outcome);
        if (text) log('lifecycle', `${event.detail.state}: ${text}`);
      },
      reconcile: (report) => {
        const r = report as {
          launched?: unknown[];
          terminated?: { instanceId: string; reason: string }[];
          redriven?: unknown[];
          runnersDeleted?: unknown[];
        };
        const parts = [
          r.launched?.length ? `launched ${r.launched.length} for the pool` : '',
          r.terminated?.length
            ? `terminated ${r.terminated.map((t) => `${t.instanceId} (${t.reason})`).join(', ')}`
            : '',
          r.redriven?.length ? `re-drove ${r.redriven.length} queued job(s)` : '',
          r.runnersDeleted?.length ? `deleted ${r.runnersDeleted.length} offline runner registration(s)` : '',
        ].filter(Boolean);
        if (parts.length) log('reconcile', parts.join('; '));
      },
      error: (where, error) => {
        const text = `${where}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
        errors.push(text);
        log('error', text);
      },
    },
    agentLog: (instanceId, event, fields) => {
      if (event === 'bootstrap-reported') log('agent', `${instanceId} bootstrap ok, powering off`);
      else if (event === 'runner-starting')
        log('agent', `${instanceId} took its JIT config, runner starting`);
      else if (event === 'runner-exited')
        log('agent', `${instanceId} runner exited (${String(fields.exitCode)})`);
      else if (event === 'no-config' || event === 'agent-failed')
        log('agent', `${instanceId} ${event}, powering off`);
    },
  });
  const ec2Events = stack.aws.onStateChange((event) => {
    if (event.detail.state !== 'pending') return;
    const instance = stack.aws.instance(event.detail['instance-id']);
    if (!instance) return;
    log(
      'ec2',
      instance.boots === 0
        ? `${instance.instanceId} launched (${instance.tags['harrier:launch'] ?? '?'}, ${instance.availabilityZone})`
        : `${instance.instanceId} starting from stopped`,
    );
  });

  console.log(
    `Harrier local — every service on 127.0.0.1, time × ${timeFactor} (timeline in simulated time)`,
  );
  console.log(`  GitHub stand-in  ${stack.github.url}  (org ${stack.github.org.login}, repos web/api/docs)`);
  console.log(`  DynamoDB         ${stack.emulators.dynamoEndpoint}  table ${stack.emulators.tableName}`);
  console.log(`  SQS              ${stack.emulators.sqsEndpoint}  queue ${stack.emulators.queueUrl}`);
  console.log(
    `  pool             fleetSize ${stack.env.FLEET_SIZE}, labels ${stack.env.RUNNER_LABELS}, reuse window ${stack.env.REUSE_WINDOW_MINUTES} min`,
  );

  if (values.serve) {
    timeline = new Timeline(stack.clock, out);
    const server = await serve(stack, port);
    console.log(
      `  serving          http://127.0.0.1:${portOf(server)}  POST /webhook, GET /status, POST /jobs`,
    );
    console.log(
      `  webhook secret   ${values['webhook-secret'] ? '(as given)' : stack.webhookSecret}  (sign with X-Hub-Signature-256)`,
    );
    console.log('  Ctrl-C to stop');
    await stack.fleet.reconcileNow();
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await new Promise<void>((resolve) => server.close(() => resolve()));
    ec2Events();
    await stack.stop();
    return 0;
  }

  console.log('\nTimeline');
  timeline = new Timeline(stack.clock, out);
  const scenario = new ScriptedDay(stack, timeline);
  scenarioRef.current = scenario;
  let result: ScenarioResult | undefined;
  let failure: unknown;
  try {
    result = await scenario.run();
  } catch (error: unknown) {
    failure = error;
  }
  const violations = [...stack.github.contractViolations, ...stack.github.responseViolations];
  const agentFailures = stack.agents.failures.map((f) => `${f.instanceId}: ${f.error}`);
  const calls = { aws: Object.fromEntries(stack.aws.calls), github: Object.fromEntries(stack.github.calls) };
  ec2Events();
  await stack.stop();

  // After the fleet, not beside it: npm ci and zstd would steal the CPU whose time the scaled
  // clock turns into simulated seconds, and the cache timings are wall time of their own.
  let cacheResult: CacheDemoResult = { skipped: '--no-cache', steps: [], entryBytes: 0, nodeModulesFiles: 0 };
  if (!values['no-cache']) {
    console.log('\nCache actions: load (miss) → npm ci → store, then load (hit) in a fresh workspace …');
    cacheResult = await runCacheDemo();
  }

  if (result) printSummary(result, cacheResult, calls);
  else
    console.error(`\nscripted day failed: ${failure instanceof Error ? failure.message : String(failure)}`);
  if (violations.length) console.error(`\nGitHub contract violations:\n  ${violations.join('\n  ')}`);
  if (agentFailures.length) console.error(`\nagent failures:\n  ${agentFailures.join('\n  ')}`);
  if (errors.length) console.error(`\nhandler errors: ${errors.length} (see timeline)`);

  const wallMs = performance.now() - wallStart;
  const ok =
    result !== undefined &&
    violations.length === 0 &&
    agentFailures.length === 0 &&
    checks(result).every((c) => c.ok);
  await writeFile(
    values.json,
    `${JSON.stringify({ ok, wallMs: Math.round(wallMs), timeFactor, timeline: timeline.entries, result, cache: cacheResult, calls, violations, agentFailures, errors }, null, 2)}\n`,
  );
  console.log(
    `\n${ok ? 'OK' : 'FAILED'} in ${(wallMs / 1000).toFixed(1)} s wall (${formatSeconds(timeline.elapsed())} simulated). JSON: ${values.json}`,
  );
  return ok ? 0 : 1;
}

function checks(result: ScenarioResult): { what: string; ok: boolean }[] {
  return [
    {
      what: 'every job got a runner and completed',
      ok: result.jobs.every((j) => j.status === 'completed' && j.runner !== null),
    },
    { what: 'burst went beyond the pool (cold launches)', ok: result.jobs.some((j) => j.path === 'cold') },
    { what: 'warm starts served the pool-sized part', ok: result.jobs.some((j) => j.path === 'warm') },
    {
      what: 'a job reused its machine within the window',
      ok: result.reuse?.secondInstance === result.reuse?.firstInstance,
    },
    {
      what: 'forged webhook refused with 401, nothing queued',
      ok: result.forged.status === 401 && !result.forged.queuedAfter,
    },
    { what: 'unsigned webhook refused with 401', ok: result.unsigned.status === 401 },
    { what: 'lost completed cleaned up by the backstop', ok: result.lostCompleted !== undefined },
    {
      what: 'nothing left over (instances, runner registrations, JIT parameters)',
      ok:
        result.leftover.instances === 0 && result.leftover.runners === 0 && result.leftover.parameters === 0,
    },
  ];
}

function printSummary(
  result: ScenarioResult,
  cache: CacheDemoResult,
  calls: { aws: Record<string, number>; github: Record<string, number> },
): void {
  console.log('\nJobs');
  console.log(
    table(
      ['job', 'id', 'path', 'runner (instance)', 'queued → runner', 'result'],
      result.jobs.map((j) => [
        j.label,
        j.jobId,
        j.path,
        j.runner ?? '-',
        j.waitMs === null ? '-' : formatSeconds(j.waitMs),
        j.conclusion ?? j.status,
      ]),
    ),
  );
  const byPath = (path: string): number[] =>
    result.jobs.filter((j) => j.path === path && j.waitMs !== null).map((j) => j.waitMs!);
  console.log('\nWait by path (simulated)');
  console.log(
    table(
      ['path', 'jobs', 'p50', 'max'],
      ['warm', 'reuse', 'cold'].map((p) => [
        p,
        byPath(p).length,
        formatSeconds(percentile(byPath(p), 50)),
        formatSeconds(percentile(byPath(p), 100)),
      ]),
    ),
  );
  console.log(
    `\nPool level (warm + provisioning) over time: ${result.poolLevel.map(([t, n]) => `${formatSeconds(t)}:${n}`).join('  ')}`,
  );
  console.log(`\nCache actions on ${DEFAULT_PROJECT} (mode tar, local directory as cache root)`);
  if (cache.skipped) console.log(`  skipped: ${cache.skipped}`);
  if (cache.steps.length) {
    console.log(
      table(
        ['step', 'result', 'time', 'outputs', 'note'],
        cache.steps.map((s) => [
          s.step,
          s.result,
          `${(s.ms / 1000).toFixed(2)}s`,
          Object.entries(s.outputs)
            .filter(([k]) => k !== 'key' && k !== 'restored-key')
            .map(([k, v]) => `${k}=${v}`)
            .join(' '),
          s.detail,
        ]),
      ),
    );
    if (cache.entryBytes)
      console.log(
        `  entry size ${formatBytes(cache.entryBytes)} for ${cache.nodeModulesFiles} files in node_modules`,
      );
  }
  console.log('\nAPI calls');
  console.log(
    `  AWS:    ${Object.entries(calls.aws)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  console.log(
    `  GitHub: ${Object.entries(calls.github)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  console.log('\nChecks');
  for (const c of checks(result)) console.log(`  ${c.ok ? 'ok  ' : 'FAIL'}  ${c.what}`);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exitCode = 1;
  },
);
