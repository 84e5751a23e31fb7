/**
 * The whole of Harrier on 127.0.0.1: DynamoDB and SQS emulators, the EC2/SSM/Secrets Manager
 * stand-in on a clock scaled by `timeFactor`, the GitHub stand-in, the real agent on every boot,
 * and the real handlers configured through the environment as infra configures them.
 */
import { randomBytes } from 'node:crypto';
import { documentClient } from '../aws/clients';
import { StateStore } from '../state/store';
import { AwsStandIn } from '../standins/aws';
import { ScaledClock } from '../standins/clock';
import { startEmulators, EMULATOR_CREDENTIALS, type Emulators } from '../standins/emulators';
import { GITHUB_HOOK_RANGES, GITHUB_HOOK_SOURCE_IP, GitHubStandIn } from '../standins/github';
import { attachAgents, type AgentHost } from './agent-host';
import { apiGatewayV2Event } from './aws-events';
import { loadHandlers, type ControlPlane } from './control-plane';
import { LocalFleet, type DeliveryDecision, type FleetObserver } from './fleet';
import type { WebhookDelivery } from '../standins/github';

export const LOCAL_STACK_ID = 'local';
export const LOCAL_LAUNCH_TEMPLATE = 'lt-0harrierlocal';
export const LOCAL_POOL_LABELS = 'self-hosted,linux,x64';

export interface LocalStackOptions {
  /** Simulated seconds per wall second. @default 30 */
  timeFactor?: number;
  /** @default 3 */
  fleetSize?: number;
  /** @default 2 */
  reuseWindowMinutes?: number;
  /** @default random */
  webhookSecret?: string;
  /** Port of the GitHub stand-in's REST API. @default 0 (ephemeral) */
  githubPort?: number;
  /** Add 127.0.0.1/32 to GitHub's hook ranges (so curl from this machine passes the allow-list). */
  allowLoopbackWebhooks?: boolean;
  observer?: FleetObserver;
  deliveryFilter?: (delivery: WebhookDelivery) => DeliveryDecision;
  agentLog?: (instanceId: string, event: string, fields: Record<string, unknown>) => void;
}

export interface LocalStack {
  clock: ScaledClock;
  aws: AwsStandIn;
  github: GitHubStandIn;
  emulators: Emulators;
  fleet: LocalFleet;
  agents: AgentHost;
  store: StateStore;
  webhookSecret: string;
  /** The handler configuration (what infra would set), secrets as ARNs. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * One throwaway invocation of each handler (a signed ping, an empty batch, an unknown instance's
 * event) so module initialisation is not counted, scaled, into the first job's wait.
 */
async function warmUpHandlers(controlPlane: ControlPlane, github: GitHubStandIn): Promise<void> {
  const body = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 });
  await controlPlane.webhook(
    apiGatewayV2Event({
      method: 'POST',
      rawPath: '/webhook',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'ping',
        'x-github-delivery': '00000000-0000-4000-8000-000000000000',
        'x-hub-signature-256': await github.sign(body),
      },
      body,
      sourceIp: GITHUB_HOOK_SOURCE_IP,
      now: Date.now(),
    }),
  );
  await controlPlane.jobs({ Records: [] });
  await controlPlane.lifecycle({
    version: '0',
    id: 'warm-up',
    'detail-type': 'EC2 Instance State-change Notification',
    source: 'aws.ec2',
    account: '123456789012',
    time: new Date().toISOString(),
    region: 'us-east-1',
    resources: [],
    detail: { 'instance-id': 'i-0000000000000000f', state: 'running' },
  });
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const clock = new ScaledClock(options.timeFactor ?? 30);
  const webhookSecret = options.webhookSecret ?? randomBytes(20).toString('hex');
  const githubToken = `ghp_local${randomBytes(16).toString('hex')}`;
  const emulators = await startEmulators({ visibilityTimeoutSeconds: 5 });
  const aws = new AwsStandIn({ clock, launchTemplates: [LOCAL_LAUNCH_TEMPLATE] }).install();
  const github = new GitHubStandIn({
    clock,
    token: githubToken,
    webhookSecret,
    hookRanges: options.allowLoopbackWebhooks ? [...GITHUB_HOOK_RANGES, '127.0.0.1/32'] : GITHUB_HOOK_RANGES,
  });
  const stopAll = async (): Promise<void> => {
    aws.uninstall();
    clock.dispose();
    await Promise.allSettled([github.close(), emulators.stop()]);
  };
  try {
    await github.listen(options.githubPort ?? 0);
    const env: Record<string, string> = {
      HARRIER_STACK_ID: LOCAL_STACK_ID,
      TABLE_NAME: emulators.tableName,
      JOB_QUEUE_URL: emulators.queueUrl,
      POOL_NAME: 'default',
      RUNNER_LABELS: LOCAL_POOL_LABELS,
      FLEET_SIZE: String(options.fleetSize ?? 3),
      LAUNCH_TEMPLATE_ID: LOCAL_LAUNCH_TEMPLATE,
      SUBNET_IDS: 'subnet-0a1,subnet-0b2',
      RUNNER_SCOPE: 'org',
      GITHUB_OWNER: github.org.login,
      RUNNER_GROUP_ID: '1',
      REUSE_WINDOW_MINUTES: String(options.reuseWindowMinutes ?? 2),
      GITHUB_CREDENTIAL_SECRET_ARN: aws.createSecret(
        'harrier/local/github',
        JSON.stringify({ token: githubToken }),
      ),
      WEBHOOK_SECRET_ARN: aws.createSecret('harrier/local/webhook', webhookSecret),
      WEBHOOK_IP_ALLOWLIST: 'true',
      GITHUB_API_URL: github.url,
    };
    // What the Lambda runtime provides, and the SDK's own endpoint override for the emulators.
    Object.assign(process.env, env, emulators.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'ERROR',
      POWERTOOLS_METRICS_DISABLED: 'true',
    });
    const controlPlane = await loadHandlers();
    github.warmUp();
    await warmUpHandlers(controlPlane, github);
    const agents = attachAgents({
      aws,
      github,
      clock,
      reuseWindowMinutes: options.reuseWindowMinutes ?? 2,
      ...(options.agentLog ? { log: options.agentLog } : {}),
    });
    const fleet = new LocalFleet({
      controlPlane,
      aws,
      github,
      sqs: emulators.sqs,
      queueUrl: emulators.queueUrl,
      clock,
      ...(options.observer ? { observer: options.observer } : {}),
      ...(options.deliveryFilter ? { deliveryFilter: options.deliveryFilter } : {}),
    });
    fleet.start();
    const store = new StateStore(documentClient(emulators.dynamo), emulators.tableName);
    return {
      clock,
      aws,
      github,
      emulators,
      fleet,
      agents,
      store,
      webhookSecret,
      env,
      async stop() {
        await fleet.stop();
        agents.detach();
        await stopAll();
      },
    };
  } catch (error: unknown) {
    await stopAll();
    throw error;
  }
}
