/**
 * Wires the real domain code to real emulators (dynalite, local-aws-sqs), the stateful
 * EC2/SSM/Secrets Manager stand-in on a virtual clock, and the OpenAPI-checked GitHub stub.
 * A tiny "agent" on the boot hook plays the instance's part: a pool instance tags its bootstrap
 * and powers off; EC2 state changes are fed to the lifecycle domain as EventBridge would.
 */
import { CreateTagsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { parseConfig, type Config } from '../../src/config';
import { TAG } from '../../src/constants';
import type { Deps } from '../../src/domain/deps';
import type { JobEvent } from '../../src/domain/job-event';
import { onInstanceStateChange } from '../../src/domain/lifecycle';
import { GitHubClient } from '../../src/github/client';
import { SecretCache } from '../../src/aws/secrets';
import { StateStore } from '../../src/state/store';
import { AwsStandIn, type AwsFaults } from '../../src/standins/aws';
import { VirtualClock, settle } from '../../src/standins/clock';
import { recordingTelemetry, type RecordedTelemetry } from '../../src/telemetry';
import { docClient, startDynamo, startSqs, type DynamoEmulator, type SqsEmulator } from './emulators';
import { GitHubStub } from './github-stub';

export const WEBHOOK_SECRET = 'test-webhook-secret-do-not-use';
export const GITHUB_TOKEN = 'ghp_testtokentesttokentesttokentest00';

export interface Shared {
  dynamo: DynamoEmulator;
  sqs: SqsEmulator;
}

export async function startShared(): Promise<Shared> {
  const [dynamo, sqs] = await Promise.all([startDynamo(), startSqs()]);
  return { dynamo, sqs };
}

export async function stopShared(shared: Shared | undefined): Promise<void> {
  await Promise.all([shared?.dynamo.close(), shared?.sqs.close()]);
}

export interface Harness {
  deps: Deps;
  config: Config;
  aws: AwsStandIn;
  clock: VirtualClock;
  github: GitHubStub;
  telemetry: RecordedTelemetry;
  queueUrl: string;
  webhookSecretArn: string;
  /** Lifecycle calls started by EC2 events, awaited by `run`. */
  pending: Promise<unknown>[];
  /** Stops feeding EC2 state changes to the lifecycle domain. */
  unwireLifecycle(): void;
  /** Advances the virtual clock by `ms`, firing timers and awaiting the work they start. */
  run(ms: number): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  env?: Record<string, string>;
  faults?: Partial<AwsFaults>;
  /** Feed EC2 state changes to the lifecycle domain. @default true */
  wireLifecycle?: boolean;
  /** Pool instances report a successful bootstrap. @default true */
  bootstrapOk?: boolean;
}

let generation = 0;

export async function newHarness(shared: Shared, options: HarnessOptions = {}): Promise<Harness> {
  const clock = new VirtualClock();
  const aws = new AwsStandIn({ clock, faults: options.faults, launchTemplates: ['lt-0harrier'] }).install();
  const github = await new GitHubStub().start();
  const webhookSecretArn = aws.createSecret('harrier/webhook', WEBHOOK_SECRET);
  const credentialArn = aws.createSecret('harrier/github', JSON.stringify({ token: GITHUB_TOKEN }));
  const [tableName, queueUrl] = await Promise.all([shared.dynamo.newTable(), shared.sqs.newFifoQueue()]);
  const config = parseConfig({
    HARRIER_STACK_ID: 'test',
    TABLE_NAME: tableName,
    JOB_QUEUE_URL: queueUrl,
    LAUNCH_TEMPLATE_ID: 'lt-0harrier',
    SUBNET_IDS: 'subnet-0a1,subnet-0b2',
    GITHUB_OWNER: 'acme',
    GITHUB_CREDENTIAL_SECRET_ARN: credentialArn,
    WEBHOOK_SECRET_ARN: webhookSecretArn,
    GITHUB_API_URL: github.url,
    FLEET_SIZE: '0',
    ...options.env,
  });
  const telemetry = recordingTelemetry();
  const region = { region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
  const secrets = new SecretCache(new SecretsManagerClient(region), () => clock.now());
  const deps: Deps = {
    config,
    store: new StateStore(docClient(shared.dynamo), tableName, () => clock.now()),
    ec2: new EC2Client(region),
    ssm: new SSMClient(region),
    sqs: shared.sqs.client,
    github: new GitHubClient(config.github.apiUrl, async () => {
      const secret = JSON.parse(await secrets.get(credentialArn)) as { token: string };
      return secret.token;
    }),
    telemetry,
    now: () => clock.now(),
    newGeneration: () => `gen-${++generation}`,
  };
  const pending: Promise<unknown>[] = [];
  let unwire: () => unknown = () => undefined;
  if (options.wireLifecycle !== false)
    unwire = aws.onStateChange((event) => {
      pending.push(
        onInstanceStateChange(deps, { instanceId: event.detail['instance-id'], state: event.detail.state }),
      );
    });
  aws.onBoot((boot) => {
    // The pool half of the agent: report the bootstrap, then power off (→ stopped → warm).
    if (boot.instance.tags[TAG.launch] !== 'pool' || boot.instance.boots !== 1) return;
    if (options.bootstrapOk === false) return boot.powerOff();
    pending.push(
      deps.ec2
        .send(
          new CreateTagsCommand({
            Resources: [boot.instance.instanceId],
            Tags: [
              { Key: TAG.bootstrap, Value: 'ok' },
              { Key: TAG.runnerVersion, Value: '2.329.0' },
            ],
          }),
        )
        .then(() => boot.powerOff()),
    );
  });

  const harness: Harness = {
    deps,
    config,
    aws,
    clock,
    github,
    telemetry,
    queueUrl,
    webhookSecretArn,
    pending,
    unwireLifecycle: () => unwire(),
    async run(ms: number) {
      const until = clock.now() + ms;
      for (;;) {
        await settle();
        while (pending.length > 0) await pending.shift();
        if (!clock.fireNext(until)) break;
      }
      clock.advanceTo(until);
      await settle();
      while (pending.length > 0) await pending.shift();
    },
    async close() {
      aws.uninstall();
      await github.close();
    },
  };
  return harness;
}

/** A queued JobEvent as the webhook would enqueue it. */
export function queuedEvent(jobId: number, overrides: Partial<JobEvent> = {}): JobEvent {
  return {
    action: 'queued',
    deliveryId: `delivery-${jobId}`,
    jobId,
    runId: 9000 + jobId,
    repo: 'acme/web',
    workflowName: 'CI',
    jobName: 'test',
    labels: ['self-hosted'],
    runnerName: null,
    sender: 'octocat',
    createdAt: Date.UTC(2026, 0, 5),
    ...overrides,
  };
}
