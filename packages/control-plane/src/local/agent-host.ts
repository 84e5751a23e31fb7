/**
 * Runs Harrier's real on-instance agent (`runAgent` from src/agent) on every simulated boot of the
 * AWS stand-in: instance metadata tags come from the stand-in (as IMDS would serve them), the
 * SSM/EC2 clients reach the stand-in through aws-sdk-client-mock, the runner is the GitHub
 * stand-in's simulated runner, and powering off is the OS shutting down.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DEFAULT_AGENT_SETTINGS, runAgent, type AgentOutcome } from '../agent/agent';
import { memoryConsumedStore, type ConsumedStore } from '../agent/state';
import { InstancePoweredOffError, type AwsStandIn, type BootContext } from '../standins/aws';
import type { Clock } from '../standins/clock';
import type { GitHubStandIn } from '../standins/github';

export interface AgentHostOptions {
  aws: AwsStandIn;
  github: GitHubStandIn;
  clock: Clock;
  /** Must match the handlers' REUSE_WINDOW_MINUTES (infra renders both from one setting). @default 0 */
  reuseWindowMinutes?: number;
  /** @default 900 (the agent's default) */
  jitWaitSeconds?: number;
  /** Agent log lines (never carry the JIT config: the agent does not pass it). */
  log?: (instanceId: string, event: string, fields: Record<string, unknown>) => void;
}

export interface AgentHost {
  /** Every agent run so far; settled when its boot ended. */
  readonly runs: Promise<AgentOutcome | 'powered-off'>[];
  /** Agent failures other than the machine being turned off under it. */
  readonly failures: { instanceId: string; error: string }[];
  detach(): void;
}

const REGION_CREDENTIALS = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'instance-role', secretAccessKey: 'instance-role' },
};

export function attachAgents(options: AgentHostOptions): AgentHost {
  const { aws, github, clock } = options;
  // The agent's state file survives reboots: one store per instance for its whole life.
  const consumed = new Map<string, ConsumedStore>();
  const stopRunner = new Map<string, () => void>();
  const ec2 = new EC2Client(REGION_CREDENTIALS);
  const ssm = new SSMClient(REGION_CREDENTIALS);
  const host: AgentHost = { runs: [], failures: [], detach: () => undefined };

  // The machine going down takes the runner process with it.
  const unsubscribe = aws.onStateChange((event) => {
    const state = event.detail.state;
    if (state !== 'stopping' && state !== 'shutting-down') return;
    const id = event.detail['instance-id'];
    stopRunner.get(id)?.();
    stopRunner.delete(id);
  });

  const boot = (context: BootContext): void => {
    const instanceId = context.instance.instanceId;
    let store = consumed.get(instanceId);
    if (!store) {
      store = memoryConsumedStore();
      consumed.set(instanceId, store);
    }
    const alive = (): void => {
      if (!context.alive()) throw new InstancePoweredOffError(instanceId);
    };
    const run = runAgent({
      metadata: {
        instanceId: () => Promise.resolve(instanceId),
        region: () => Promise.resolve(REGION_CREDENTIALS.region),
        tag: (key) => Promise.resolve().then(() => context.tag(key)),
      },
      ssm,
      ec2,
      runRunner: (launch) => {
        alive();
        const runner = github.startRunner(launch.env.ACTIONS_RUNNER_INPUT_JITCONFIG ?? '');
        stopRunner.set(instanceId, runner.stop);
        return runner.exited.finally(() => stopRunner.delete(instanceId));
      },
      powerOff: () => {
        context.powerOff();
        return Promise.resolve();
      },
      consumed: store,
      sleep: async (ms) => {
        await clock.sleep(ms);
        alive();
      },
      now: () => clock.now(),
      log: (event, fields = {}) => options.log?.(instanceId, event, fields),
      settings: {
        ...DEFAULT_AGENT_SETTINGS,
        reuseWindowMinutes: options.reuseWindowMinutes ?? 0,
        jitWaitSeconds: options.jitWaitSeconds ?? DEFAULT_AGENT_SETTINGS.jitWaitSeconds,
      },
    }).catch((error: unknown): 'powered-off' => {
      if (error instanceof InstancePoweredOffError || !context.alive()) return 'powered-off';
      host.failures.push({
        instanceId,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
      options.log?.(instanceId, 'agent-failed', {
        error: error instanceof Error ? error.name : String(error),
      });
      // As on a real instance (src/agent/index.ts): a failed agent powers the machine off.
      context.powerOff();
      return 'powered-off';
    });
    host.runs.push(run);
  };

  aws.onBoot(boot);
  host.detach = () => {
    unsubscribe();
    aws.onBoot(() => undefined);
  };
  return host;
}
