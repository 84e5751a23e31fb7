// Runs `up`, `preview` or `destroy` on the Harrier stack with the Pulumi Automation API, against a
// self-managed backend in the user's own account: state in S3, stack secrets encrypted with KMS.
import type { ConfigMap, OpMap, OutputMap, PulumiCommand } from '@pulumi/pulumi/automation';
import { LocalWorkspace } from '@pulumi/pulumi/automation';
import type { Command } from './constants';
import { DEFAULT_POOL, StackOutputs } from './constants';

export interface DeployOptions {
  command: Command;
  stack: string;
  /** The directory holding Pulumi.yaml. */
  programDir: string;
  stateBucket: string;
  awsRegion: string;
  secretsProvider: string;
  config: ConfigMap;
  pulumi: PulumiCommand;
  /** Receives Pulumi's output as it streams, chunk by chunk. */
  onOutput: (chunk: string) => void;
  /** Recorded in the stack history, e.g. the workflow run's URL. */
  message?: string;
}

/** The stack outputs the action re-exports, as the infra program declares them. */
export interface HarrierOutputs {
  webhookUrl?: string;
  bucketName?: string;
  dashboardUrl?: string;
  /** The default pool's `runs-on` labels. */
  labels?: string[];
  /** Every pool's `runs-on` labels, by pool name. */
  pools?: Record<string, string[]>;
}

export interface DeployResult {
  command: Command;
  stack: string;
  /** Resource operations and their counts: what `up`/`destroy` did, or what `preview` would do. */
  changes: OpMap;
  outputs: HarrierOutputs;
}

/** The backend URL of a self-managed S3 backend (https://www.pulumi.com/docs/iac/concepts/state-and-backends/). */
export function backendUrl(bucket: string, region: string): string {
  return `s3://${bucket}?region=${encodeURIComponent(region)}`;
}

function stringOutput(outputs: OutputMap, key: string): string | undefined {
  const value: unknown = outputs[key]?.value;
  return typeof value === 'string' ? value : undefined;
}

function poolLabels(value: unknown): Record<string, string[]> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const pools: Record<string, string[]> = {};
  for (const [pool, labels] of Object.entries(value as Record<string, unknown>))
    if (Array.isArray(labels)) pools[pool] = labels.map(String);
  return pools;
}

export function harrierOutputs(outputs: OutputMap): HarrierOutputs {
  const pools = poolLabels(outputs[StackOutputs.RunsOnLabels]?.value);
  return {
    webhookUrl: stringOutput(outputs, StackOutputs.WebhookUrl),
    bucketName: stringOutput(outputs, StackOutputs.BucketName),
    dashboardUrl: stringOutput(outputs, StackOutputs.DashboardUrl),
    labels: pools?.[DEFAULT_POOL],
    pools,
  };
}

export async function deploy(options: DeployOptions): Promise<DeployResult> {
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName: options.stack, workDir: options.programDir },
    {
      pulumiCommand: options.pulumi,
      envVars: {
        PULUMI_BACKEND_URL: backendUrl(options.stateBucket, options.awsRegion),
        PULUMI_SKIP_UPDATE_CHECK: 'true',
      },
      // Used by `stack init`; the stack settings also name it for later runs, whose fresh
      // checkout has no Pulumi.<stack>.yaml (KMS can decrypt any data key the state holds).
      secretsProvider: options.secretsProvider,
      stackSettings: { [options.stack]: { secretsProvider: options.secretsProvider } },
    },
  );
  await stack.setAllConfig(options.config);
  const common = { onOutput: options.onOutput, message: options.message };
  switch (options.command) {
    case 'up': {
      const result = await stack.up(common);
      return {
        command: 'up',
        stack: options.stack,
        changes: result.summary.resourceChanges ?? {},
        outputs: harrierOutputs(result.outputs),
      };
    }
    case 'preview': {
      const result = await stack.preview(common);
      return { command: 'preview', stack: options.stack, changes: result.changeSummary, outputs: {} };
    }
    case 'destroy': {
      const result = await stack.destroy(common);
      return {
        command: 'destroy',
        stack: options.stack,
        changes: result.summary.resourceChanges ?? {},
        outputs: {},
      };
    }
  }
}
