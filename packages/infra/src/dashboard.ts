/**
 * The CloudWatch dashboard body, pure so its widgets are tested without Pulumi. Metrics come from
 * the control plane's Powertools EMF output (namespace `Harrier`, dimension `service` = function
 * name), read with SEARCH so a metric emitted by any function shows up.
 */

export interface DashboardInput {
  region: string;
  bucketName: string;
  deadLetterQueueName: string;
  functionNames: string[];
}

/** Metric names the control plane emits (packages/control-plane/src/telemetry.ts, METRIC). */
export const DASHBOARD_METRICS = {
  queuedToStart: 'QueuedToStartLatency',
  poolLevel: 'PoolLevel',
  coldLaunches: 'ColdLaunches',
  warmClaims: 'WarmClaims',
  failures: 'Failures',
  capacityErrors: 'CapacityErrors',
} as const;

const PERIOD_SECONDS = 60;
const DAY_SECONDS = 86_400;

type Widget = Record<string, unknown>;

const search = (metric: string, stat: string, id: string, label: string): Record<string, unknown> => ({
  expression: `SEARCH('{Harrier,service} MetricName="${metric}"', '${stat}', ${PERIOD_SECONDS})`,
  id,
  label,
});

function metricWidget(
  title: string,
  region: string,
  metrics: unknown[],
  x: number,
  y: number,
  extra: Widget = {},
): Widget {
  return {
    type: 'metric',
    x,
    y,
    width: 12,
    height: 6,
    properties: {
      title,
      region,
      view: 'timeSeries',
      stacked: false,
      period: PERIOD_SECONDS,
      metrics,
      ...extra,
    },
  };
}

export function dashboardBody(input: DashboardInput): string {
  const { region } = input;
  const widgets: Widget[] = [
    metricWidget(
      'Queued → runner start latency (ms)',
      region,
      [
        [search(DASHBOARD_METRICS.queuedToStart, 'p50', 'p50', 'p50')],
        [search(DASHBOARD_METRICS.queuedToStart, 'p90', 'p90', 'p90')],
      ],
      0,
      0,
    ),
    metricWidget(
      'Warm pool level',
      region,
      [[search(DASHBOARD_METRICS.poolLevel, 'Maximum', 'pool', 'warm + provisioning')]],
      12,
      0,
    ),
    metricWidget(
      'Claims and cold launches',
      region,
      [
        [search(DASHBOARD_METRICS.warmClaims, 'Sum', 'warm', 'warm claims')],
        [search(DASHBOARD_METRICS.coldLaunches, 'Sum', 'cold', 'cold launches')],
      ],
      0,
      6,
    ),
    metricWidget(
      'Failures',
      region,
      [
        [search(DASHBOARD_METRICS.failures, 'Sum', 'failures', 'handler failures')],
        [search(DASHBOARD_METRICS.capacityErrors, 'Sum', 'capacity', 'capacity errors')],
        [
          'AWS/SQS',
          'ApproximateNumberOfMessagesVisible',
          'QueueName',
          input.deadLetterQueueName,
          { label: 'dead letters', stat: 'Maximum' },
        ],
        ...input.functionNames.map((name) => ['AWS/Lambda', 'Errors', 'FunctionName', name, { stat: 'Sum' }]),
      ],
      12,
      6,
    ),
    metricWidget(
      'Cache bucket size (bytes, daily)',
      region,
      [
        [
          'AWS/S3',
          'BucketSizeBytes',
          'BucketName',
          input.bucketName,
          'StorageType',
          'StandardStorage',
          { stat: 'Average' },
        ],
      ],
      0,
      12,
      { period: DAY_SECONDS },
    ),
  ];
  return JSON.stringify({ widgets });
}
