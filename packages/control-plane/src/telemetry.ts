/**
 * Structured JSON logs and CloudWatch metrics (Powertools for AWS Lambda). The domain code sees
 * a three-method interface so tests and the simulator can record metrics instead of printing
 * EMF. Secrets (webhook secret, PAT, JIT configs) are never passed to the logger.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRIC_NAMESPACE } from './constants';

/** Every metric Harrier emits, so dashboards and alarms have one list to read. */
export const METRIC = {
  webhookAccepted: 'WebhookAccepted',
  webhookIgnored: 'WebhookIgnored',
  webhookRejected: 'WebhookRejected',
  hookRangesUnavailable: 'HookRangesUnavailable',
  jobDuplicate: 'JobDuplicate',
  warmClaims: 'WarmClaims',
  reuseClaims: 'ReuseClaims',
  claimRaceLost: 'ClaimRaceLost',
  coldLaunches: 'ColdLaunches',
  capacityErrors: 'CapacityErrors',
  queuedToStartMs: 'QueuedToStartLatency',
  poolLaunches: 'PoolLaunches',
  poolLevel: 'PoolLevel',
  instancesTerminated: 'InstancesTerminated',
  instancesIdled: 'InstancesIdled',
  orphansTerminated: 'OrphansTerminated',
  runnersDeleted: 'RunnerRegistrationsDeleted',
  jobsRedriven: 'JobsRedriven',
  failures: 'Failures',
} as const;
export type MetricName = (typeof METRIC)[keyof typeof METRIC];

export interface Log {
  debug(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

export interface Telemetry {
  log: Log;
  count(name: MetricName, value?: number): void;
  milliseconds(name: MetricName, value: number): void;
  gauge(name: MetricName, value: number): void;
  /** Writes buffered metrics (handlers call it once per invocation). */
  flush(): void;
}

export function powertoolsTelemetry(serviceName: string): Telemetry {
  const logger = new Logger({ serviceName });
  const metrics = new Metrics({ namespace: METRIC_NAMESPACE, serviceName });
  // Powertools warns on every flush with nothing buffered; most invocations do buffer something.
  let buffered = false;
  const add = (name: MetricName, unit: (typeof MetricUnit)[keyof typeof MetricUnit], value: number): void => {
    buffered = true;
    metrics.addMetric(name, unit, value);
  };
  return {
    log: {
      debug: (message, extra) => logger.debug(message, extra ?? {}),
      info: (message, extra) => logger.info(message, extra ?? {}),
      warn: (message, extra) => logger.warn(message, extra ?? {}),
      error: (message, extra) => logger.error(message, extra ?? {}),
    },
    count: (name, value = 1) => add(name, MetricUnit.Count, value),
    milliseconds: (name, value) => add(name, MetricUnit.Milliseconds, value),
    gauge: (name, value) => add(name, MetricUnit.Count, value),
    flush: () => {
      if (!buffered) return;
      buffered = false;
      metrics.publishStoredMetrics();
    },
  };
}

export interface RecordedTelemetry extends Telemetry {
  /** Sum of every `count` per metric. */
  counts: Map<MetricName, number>;
  /** Every value of every `milliseconds`/`gauge` metric, in order. */
  values: Map<MetricName, number[]>;
  lines: { level: string; message: string; extra?: Record<string, unknown> }[];
}

/** Keeps logs and metrics in memory: for tests, local mode and the simulator. */
export function recordingTelemetry(): RecordedTelemetry {
  const counts = new Map<MetricName, number>();
  const values = new Map<MetricName, number[]>();
  const lines: RecordedTelemetry['lines'] = [];
  const line = (level: string) => (message: string, extra?: Record<string, unknown>) =>
    lines.push({ level, message, extra });
  const push = (name: MetricName, value: number) => values.set(name, [...(values.get(name) ?? []), value]);
  return {
    counts,
    values,
    lines,
    log: { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') },
    count: (name, value = 1) => counts.set(name, (counts.get(name) ?? 0) + value),
    milliseconds: push,
    gauge: push,
    flush: () => {},
  };
}
