/** Renders simulator reports as text (terminal) and Markdown (docs). */
import { markdownTable, table } from '../local/report';
import type { SimulationReport } from './simulation';

const pct = (rate: number): string => `${Math.round(rate * 1000) / 10}%`;
const seconds = (s: number): string => `${s.toFixed(1)} s`;

export function formatReport(report: SimulationReport): string {
  const o = report.options;
  const f = o.faults;
  const lines = [
    `Simulated ${o.jobs} jobs (${o.arrival}), pool ${o.poolSize}, reuse window ${o.reuseWindowMinutes} min, seed ${o.seed}`,
    `Faults: duplicate ${pct(f.duplicate)}, reordered ${pct(f.reordered)}, lost queued ${pct(f.lostQueued)}, lost completed ${pct(f.lostCompleted)}, capacity errors ${pct(f.capacity)}, throttling ${pct(f.throttle)}, Lambda crash ${pct(f.crash)}`,
    `Injected: ${
      Object.entries(report.faultsInjected)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || 'none'
    }`,
    '',
    table(
      ['measure', 'value'],
      [
        ['jobs served (got a runner, succeeded)', `${report.jobs.served} / ${report.jobs.total}`],
        ['jobs failed (runner died mid-job)', report.jobs.failed],
        ['jobs lost (never got a runner)', report.jobs.lost],
        ['double claims (instance handed to two jobs)', report.jobs.doubleClaimed],
        [
          'warm claims / cold launches / reuses',
          `${report.paths.warm} / ${report.paths.cold} / ${report.paths.reused}`,
        ],
        [
          'jobs re-driven: by reconcile / at once by lifecycle',
          `${report.paths.redrivenByReconcile} / ${report.paths.redriven - report.paths.redrivenByReconcile}`,
        ],
        [
          'queued → runner p50 / p95 / max',
          `${seconds(report.waitSeconds.p50)} / ${seconds(report.waitSeconds.p95)} / ${seconds(report.waitSeconds.max)}`,
        ],
        ...Object.entries(report.waitByPath)
          .filter(([, w]) => w.jobs > 0)
          .map(([kind, w]) => [
            `  wait of jobs Harrier served ${kind}: p50 / p95`,
            `${seconds(w.p50)} / ${seconds(w.p95)} (${w.jobs} jobs)`,
          ]),
        ['instances left after drain (beyond the warm pool)', report.leftAfterDrain.instances],
        ['runner registrations left after drain', report.leftAfterDrain.runnerRegistrations],
        ['JIT parameters left after drain', report.leftAfterDrain.jitParameters],
        ['warm pool after drain', report.leftAfterDrain.warmPool],
        ['dead-lettered messages', report.deadLetters],
        ['agent failures (instance powered itself off)', report.agentFailures],
        ['GitHub contract violations', report.githubContractViolations.length],
        ['EC2 instance-hours', report.ec2InstanceHours.toFixed(1)],
        ['estimated cost (instances + gp3 volumes)', `$${report.costUsd.toFixed(2)}`],
        [
          'simulated time / wall time',
          `${report.simulatedHours.toFixed(1)} h / ${report.wallSeconds.toFixed(0)} s`,
        ],
      ],
    ),
    '',
    'AWS API calls (control plane and instance agents)',
    `  ${Object.entries(report.awsCalls)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `  errors: ${
      Object.entries(report.awsErrors)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || 'none'
    }`,
    'GitHub API calls',
    `  ${Object.entries(report.githubCalls)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    '',
    ...report.doubleClaims.map(
      (d) =>
        `double claim: ${d.instanceId} for job ${d.first.jobId} (${d.first.kind}, ${d.first.atSeconds.toFixed(0)} s) and job ${d.second.jobId} (${d.second.kind}, ${d.second.atSeconds.toFixed(0)} s)`,
    ),
    report.invariantsHeld ? 'INVARIANTS HELD' : `INVARIANTS BROKEN: ${report.breaches.join('; ')}`,
  ];
  return lines.join('\n');
}

export function markdownReport(report: SimulationReport): string {
  return markdownTable(
    ['measure', 'value'],
    [
      ['jobs served', `${report.jobs.served} / ${report.jobs.total}`],
      ['jobs lost', report.jobs.lost],
      ['jobs failed (runner died mid-job)', report.jobs.failed],
      ['double claims', report.jobs.doubleClaimed],
      [
        'warm claims / cold launches / reuses',
        `${report.paths.warm} / ${report.paths.cold} / ${report.paths.reused}`,
      ],
      ['re-driven by reconcile', report.paths.redrivenByReconcile],
      [
        'queued → runner p50 / p95 / max (simulated)',
        `${seconds(report.waitSeconds.p50)} / ${seconds(report.waitSeconds.p95)} / ${seconds(report.waitSeconds.max)}`,
      ],
      ['instances left after drain (beyond the pool)', report.leftAfterDrain.instances],
      ['runner registrations left after drain', report.leftAfterDrain.runnerRegistrations],
      ['JIT parameters left', report.leftAfterDrain.jitParameters],
      ['dead-lettered messages', report.deadLetters],
      ['GitHub contract violations', report.githubContractViolations.length],
      [
        'EC2 instance-hours / estimated cost',
        `${report.ec2InstanceHours.toFixed(1)} h / $${report.costUsd.toFixed(2)}`,
      ],
      ['simulated / wall time', `${report.simulatedHours.toFixed(1)} h / ${report.wallSeconds.toFixed(0)} s`],
    ],
  );
}

export function sizingTable(rows: SimulationReport[], markdown = false): string {
  const headers = [
    'pool size',
    'wait p50',
    'wait p95',
    'wait max',
    'cold launches',
    'instance-hours',
    'cost',
  ];
  const body = rows.map((r) => [
    r.options.poolSize,
    seconds(r.waitSeconds.p50),
    seconds(r.waitSeconds.p95),
    seconds(r.waitSeconds.max),
    r.paths.cold,
    r.ec2InstanceHours.toFixed(1),
    `$${r.costUsd.toFixed(2)}`,
  ]);
  return markdown ? markdownTable(headers, body) : table(headers, body);
}
