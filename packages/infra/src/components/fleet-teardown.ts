import type * as Ec2Sdk from '@aws-sdk/client-ec2';
import type * as SsmSdk from '@aws-sdk/client-ssm';
import type { Octokit } from '@octokit/rest';
import * as pulumi from '@pulumi/pulumi';
import { jitParameterPrefix } from '../constants';
import { loadOctokit } from './github-webhook';

/**
 * What the dynamic provider records: plain values only. No credentials: `delete` runs with the
 * credentials of whoever runs `pulumi destroy` (the default AWS chain, plus `aws:profile` if set).
 */
export interface FleetTeardownInputs {
  /** Stack id: instances tagged `harrier:stack = <stack>` belong to this stack and only those. */
  stack: string;
  region: string;
  /** `/harrier/<stack>/jit/`: every JIT parameter scale-up writes lives under it. */
  jitPrefix: string;
  /** Named AWS profile (`aws:profile`), when the deployment uses one. */
  profile?: string;
  /** How long `delete` waits for the instances to reach `terminated`. */
  maxWaitSeconds: number;
  /** First pause between polls; doubles up to `maxPollSeconds`. */
  firstPollSeconds: number;
  maxPollSeconds: number;
  /**
   * Org whose runner registrations named after this stack's instances are removed (org scope only:
   * with repo scope the runners live in whichever repositories ran jobs, which the deleted state
   * table knew). Absent: registrations are left to GitHub, which drops offline ephemeral runners.
   */
  githubOrg?: string;
  /** Secret: the PAT the org webhook is managed with. */
  githubToken?: string;
  githubApiUrl?: string;
}

/** What a teardown did, for the log and for tests. */
export interface TeardownReport {
  /** Every instance a TerminateInstances call was sent for. */
  terminated: string[];
  /** JIT parameters deleted. */
  parametersDeleted: string[];
  /** Polls of DescribeInstances until nothing of the stack was left. */
  polls: number;
  /** Every instance of the stack seen alive (runner names are instance ids). */
  seen: string[];
  /** Runner registrations removed from GitHub. */
  runnersRemoved: string[];
}

/** Removes the GitHub runner registrations with these names; returns the names removed. */
export type RunnerDeregistration = (names: string[]) => Promise<string[]>;

/** The two clients a teardown needs; `send` is the only method used (so aws-sdk-client-mock fits). */
export interface TeardownClients {
  ec2: Pick<Ec2Sdk.EC2Client, 'send'>;
  ssm: Pick<SsmSdk.SSMClient, 'send'>;
}

export interface TeardownDeps extends TeardownClients {
  /** Loaded @aws-sdk/client-ec2 and client-ssm command classes. */
  commands: SdkCommands;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  log: (message: string) => void;
  /** Absent: runner registrations are left alone. */
  deregisterRunners?: RunnerDeregistration;
}

export interface SdkCommands {
  DescribeInstancesCommand: typeof Ec2Sdk.DescribeInstancesCommand;
  TerminateInstancesCommand: typeof Ec2Sdk.TerminateInstancesCommand;
  GetParametersByPathCommand: typeof SsmSdk.GetParametersByPathCommand;
  DeleteParametersCommand: typeof SsmSdk.DeleteParametersCommand;
}

/** `delete` gave up waiting; the instances it names are still not terminated. */
export class FleetTeardownTimeoutError extends Error {
  override readonly name = 'FleetTeardownTimeoutError';
  constructor(
    readonly stackId: string,
    readonly remaining: string[],
    waitedSeconds: number,
  ) {
    super(
      `harrier: ${remaining.length} instance(s) of stack ${stackId} still not terminated after ` +
        `${waitedSeconds} s: ${remaining.join(', ')}. Run \`pulumi destroy\` again once they are gone.`,
    );
  }
}

/** Teardown limits. EC2 and SSM document 1000 ids per TerminateInstances and 10 names per DeleteParameters. */
export const TEARDOWN_LIMITS = {
  terminateBatch: 1000,
  deleteParametersBatch: 10,
  /** Instances normally reach `terminated` in 1–2 minutes; a stuck one should fail the destroy, not hang it. */
  maxWaitSeconds: 600,
  firstPollSeconds: 5,
  maxPollSeconds: 30,
  /** Attempts per API call when AWS throttles (on top of the SDK's own retries). */
  throttleAttempts: 6,
  throttleFirstDelayMs: 500,
} as const;

/** States an instance can still cost money or hold the VPC's network interfaces in. */
export const LIVE_STATES = ['pending', 'running', 'stopping', 'stopped', 'shutting-down'] as const;
/** States TerminateInstances is still needed for (`shutting-down` is already on its way). */
const TERMINABLE_STATES: readonly string[] = ['pending', 'running', 'stopping', 'stopped'];

/** Error codes AWS uses for "slow down": EC2 says RequestLimitExceeded, SSM ThrottlingException. */
// Arrays, not Sets: the provider is serialized by Pulumi's closure serializer.
const THROTTLE_CODES: readonly string[] = [
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'TooManyUpdates',
];

export function isThrottle(error: unknown): boolean {
  const e = error as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  return (
    THROTTLE_CODES.includes(e.name ?? '') ||
    THROTTLE_CODES.includes(e.Code ?? '') ||
    e.$metadata?.httpStatusCode === 429
  );
}

/**
 * Terminates every instance of the stack (tag `harrier:stack`) and waits until none is left alive,
 * then deletes the stack's JIT parameters. Instances of other stacks are never in a request: the
 * tag filter selects, and each id sent is re-checked against the tag.
 */
export async function teardownFleet(
  deps: TeardownDeps,
  target: FleetTeardownInputs,
): Promise<TeardownReport> {
  const { ec2, ssm, commands, sleep, now, log } = deps;
  const { stack } = target;

  const withRetry = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await call();
      } catch (error: unknown) {
        if (!isThrottle(error) || attempt >= TEARDOWN_LIMITS.throttleAttempts) throw error;
        const delay = TEARDOWN_LIMITS.throttleFirstDelayMs * 2 ** (attempt - 1);
        log(`harrier teardown: ${what} throttled, retrying in ${delay} ms`);
        await sleep(delay);
      }
    }
  };

  const liveInstances = async (): Promise<{ id: string; state: string }[]> => {
    const found: { id: string; state: string }[] = [];
    let nextToken: string | undefined;
    do {
      const page: Ec2Sdk.DescribeInstancesCommandOutput = await withRetry('DescribeInstances', () =>
        ec2.send(
          new commands.DescribeInstancesCommand({
            Filters: [
              { Name: 'tag:harrier:stack', Values: [stack] },
              { Name: 'instance-state-name', Values: [...LIVE_STATES] },
            ],
            MaxResults: 1000,
            NextToken: nextToken,
          }),
        ),
      );
      for (const reservation of page.Reservations ?? [])
        for (const instance of reservation.Instances ?? []) {
          const ours = instance.Tags?.some((t) => t.Key === 'harrier:stack' && t.Value === stack);
          const state: string = instance.State?.Name ?? 'unknown';
          // The filters already select; this guards against an answer ever being wider than asked.
          if (ours && instance.InstanceId !== undefined && (LIVE_STATES as readonly string[]).includes(state))
            found.push({ id: instance.InstanceId, state });
        }
      nextToken = page.NextToken;
    } while (nextToken);
    return found;
  };

  const terminated = new Set<string>();
  const seen = new Set<string>();
  const started = now();
  const deadline = started + target.maxWaitSeconds * 1000;
  let pollMs = target.firstPollSeconds * 1000;
  let polls = 0;
  let remaining: { id: string; state: string }[];
  for (;;) {
    remaining = await liveInstances();
    polls += 1;
    for (const instance of remaining) seen.add(instance.id);
    if (remaining.length === 0) break;
    // Terminate whatever is not already going; an in-flight control-plane call may have launched
    // one since the last poll, so every poll re-checks.
    const toTerminate = remaining.filter((i) => TERMINABLE_STATES.includes(i.state)).map((i) => i.id);
    for (let i = 0; i < toTerminate.length; i += TEARDOWN_LIMITS.terminateBatch) {
      const batch = toTerminate.slice(i, i + TEARDOWN_LIMITS.terminateBatch);
      const result: Ec2Sdk.TerminateInstancesCommandOutput = await withRetry('TerminateInstances', () =>
        ec2.send(new commands.TerminateInstancesCommand({ InstanceIds: batch })),
      );
      for (const change of result.TerminatingInstances ?? [])
        if (change.InstanceId !== undefined) terminated.add(change.InstanceId);
      log(`harrier teardown: terminating ${batch.length} instance(s) of ${stack}`);
    }
    if (now() >= deadline) break;
    await sleep(Math.min(pollMs, Math.max(0, deadline - now())));
    pollMs = Math.min(pollMs * 2, target.maxPollSeconds * 1000);
  }

  // The parameters go even when instances are stuck: they are secrets for runners that will not run.
  const parametersDeleted = await deleteJitParameters(ssm, commands, target.jitPrefix, withRetry);
  if (parametersDeleted.length > 0)
    log(`harrier teardown: deleted ${parametersDeleted.length} JIT parameter(s) under ${target.jitPrefix}`);

  let runnersRemoved: string[] = [];
  if (deps.deregisterRunners && seen.size > 0) {
    // Best effort: a revoked token must not keep the VPC alive forever (every retry of the destroy
    // would fail here again), and GitHub drops offline ephemeral runners by itself within a day.
    try {
      runnersRemoved = await deps.deregisterRunners([...seen].sort());
      log(`harrier teardown: removed ${runnersRemoved.length} runner registration(s) from GitHub`);
    } catch (error: unknown) {
      const { name, status } = error as { name?: string; status?: number };
      log(
        `harrier teardown: could not remove runner registrations (${name ?? 'Error'}${status ? ` ${status}` : ''}); ` +
          'GitHub removes offline ephemeral runners after a day, or delete them under Settings → Actions → Runners',
      );
    }
  }

  if (remaining.length > 0)
    throw new FleetTeardownTimeoutError(
      stack,
      remaining.map((i) => i.id),
      Math.round((now() - started) / 1000),
    );
  return {
    terminated: [...terminated].sort(),
    parametersDeleted,
    polls,
    seen: [...seen].sort(),
    runnersRemoved,
  };
}

async function deleteJitParameters(
  ssm: Pick<SsmSdk.SSMClient, 'send'>,
  commands: SdkCommands,
  prefix: string,
  withRetry: <T>(what: string, call: () => Promise<T>) => Promise<T>,
): Promise<string[]> {
  const names: string[] = [];
  let nextToken: string | undefined;
  do {
    const page: SsmSdk.GetParametersByPathCommandOutput = await withRetry('GetParametersByPath', () =>
      ssm.send(
        new commands.GetParametersByPathCommand({
          Path: prefix.replace(/\/+$/, ''),
          Recursive: true,
          // Only names are needed: never decrypt a runner's JIT config here.
          WithDecryption: false,
          MaxResults: 10,
          NextToken: nextToken,
        }),
      ),
    );
    for (const parameter of page.Parameters ?? [])
      if (parameter.Name?.startsWith(prefix)) names.push(parameter.Name);
    nextToken = page.NextToken;
  } while (nextToken);

  const deleted: string[] = [];
  for (let i = 0; i < names.length; i += TEARDOWN_LIMITS.deleteParametersBatch) {
    const batch = names.slice(i, i + TEARDOWN_LIMITS.deleteParametersBatch);
    const result: SsmSdk.DeleteParametersCommandOutput = await withRetry('DeleteParameters', () =>
      ssm.send(new commands.DeleteParametersCommand({ Names: batch })),
    );
    deleted.push(...(result.DeletedParameters ?? []));
  }
  return deleted.sort();
}

/**
 * Deletes the org's runner registrations named after the given instances. A runner GitHub already
 * dropped (404) is fine; one GitHub still counts as busy (422, its job is being failed) is left for
 * GitHub to expire rather than failing the destroy.
 */
export function orgRunnerDeregistration(
  octokit: Octokit,
  org: string,
  log: (message: string) => void,
): RunnerDeregistration {
  return async (names) => {
    const removed: string[] = [];
    // One lookup per name (the `name` filter) instead of paging through every runner of the org:
    // an org can have thousands, and names are unique within it.
    for (const name of names) {
      const { data } = await octokit.rest.actions.listSelfHostedRunnersForOrg({ org, name, per_page: 100 });
      for (const runner of data.runners.filter((r) => r.name === name)) {
        try {
          await octokit.rest.actions.deleteSelfHostedRunnerFromOrg({ org, runner_id: runner.id });
          removed.push(runner.name);
        } catch (error: unknown) {
          const status = (error as { status?: number }).status;
          if (status === 404) continue;
          if (status === 422) {
            log(
              `harrier teardown: GitHub still counts runner ${runner.name} as busy; it will expire on its own`,
            );
            continue;
          }
          throw error;
        }
      }
    }
    return removed.sort();
  };
}

/**
 * Imports an AWS SDK client inside the provider host. As with Octokit (see loadOctokit), Pulumi runs
 * the serialized provider from the project root, where pnpm's isolated node_modules do not resolve
 * packages/infra's dependencies: fall back to resolving from there.
 */
export async function loadSdk<T>(specifier: string): Promise<T> {
  try {
    return (await import(specifier)) as T;
  } catch (error: unknown) {
    const nodeModule = await import('node:module');
    const nodePath = await import('node:path');
    for (const base of [nodePath.join(process.cwd(), 'packages', 'infra'), process.cwd()]) {
      try {
        return nodeModule.createRequire(nodePath.join(base, 'package.json'))(specifier) as T;
      } catch {
        // try the next base
      }
    }
    throw error;
  }
}

/**
 * The provider. create/update only record where the fleet lives; delete terminates it. Serialized
 * into the provider host, so SDK clients are built inside `delete` from plain inputs.
 */
export const fleetTeardownProvider: pulumi.dynamic.ResourceProvider<
  FleetTeardownInputs,
  FleetTeardownInputs
> = {
  create(inputs) {
    return Promise.resolve({ id: `harrier-fleet-teardown-${inputs.stack}`, outs: inputs });
  },

  update(_id, _olds, news) {
    return Promise.resolve({ outs: news });
  },

  diff(_id, olds, news) {
    const keys: (keyof FleetTeardownInputs)[] = [
      'stack',
      'region',
      'jitPrefix',
      'profile',
      'maxWaitSeconds',
      'firstPollSeconds',
      'maxPollSeconds',
      'githubOrg',
      'githubToken',
      'githubApiUrl',
    ];
    // Never a replacement: deleting the old resource would terminate the live fleet on `pulumi up`.
    return Promise.resolve({
      changes: keys.some((k) => olds[k] !== news[k]),
      replaces: [],
      deleteBeforeReplace: false,
    });
  },

  async delete(_id, props) {
    const ec2Sdk = await loadSdk<typeof Ec2Sdk>('@aws-sdk/client-ec2');
    const ssmSdk = await loadSdk<typeof SsmSdk>('@aws-sdk/client-ssm');
    const clientConfig = {
      region: props.region,
      maxAttempts: 5,
      ...(props.profile ? { profile: props.profile } : {}),
    };
    const log = (message: string): void => console.log(message);
    let deregisterRunners: RunnerDeregistration | undefined;
    if (props.githubOrg && props.githubToken) {
      const { Octokit } = await loadOctokit();
      const octokit = new Octokit({
        auth: props.githubToken,
        baseUrl: props.githubApiUrl ?? 'https://api.github.com',
      });
      deregisterRunners = orgRunnerDeregistration(octokit, props.githubOrg, log);
    }
    const report = await teardownFleet(
      {
        ec2: new ec2Sdk.EC2Client(clientConfig),
        ssm: new ssmSdk.SSMClient(clientConfig),
        commands: {
          DescribeInstancesCommand: ec2Sdk.DescribeInstancesCommand,
          TerminateInstancesCommand: ec2Sdk.TerminateInstancesCommand,
          GetParametersByPathCommand: ssmSdk.GetParametersByPathCommand,
          DeleteParametersCommand: ssmSdk.DeleteParametersCommand,
        },
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        now: () => Date.now(),
        log,
        deregisterRunners,
      },
      props,
    );
    console.log(
      `harrier teardown: ${props.stack}: ${report.terminated.length} instance(s) terminated, ` +
        `${report.parametersDeleted.length} JIT parameter(s) deleted, ` +
        `${report.runnersRemoved.length} runner registration(s) removed`,
    );
  },
};

export interface FleetTeardownArgs {
  stack: string;
  region: pulumi.Input<string>;
  /** @default the `aws:profile` the deployment uses, if any */
  profile?: pulumi.Input<string | undefined>;
  /** @default TEARDOWN_LIMITS.maxWaitSeconds (600) */
  maxWaitSeconds?: number;
  /** @default TEARDOWN_LIMITS.firstPollSeconds (5) */
  firstPollSeconds?: number;
  /** @default TEARDOWN_LIMITS.maxPollSeconds (30) */
  maxPollSeconds?: number;
  /** Org-scope runners: remove the registrations named after the stack's instances. */
  github?: { org: pulumi.Input<string>; token: pulumi.Input<string>; apiUrl: pulumi.Input<string> };
}

/**
 * Deletes what the control plane created at run time (instances, JIT parameters) on `pulumi destroy`.
 * Give it `dependsOn` the network and the launch templates (so it is deleted before them) and make
 * the control plane depend on it (so the Lambdas and their triggers are gone before it runs).
 * Token `pulumi-nodejs:dynamic/harrier:FleetTeardown`.
 */
export class FleetTeardown extends pulumi.dynamic.Resource {
  declare readonly stack: pulumi.Output<string>;
  declare readonly jitPrefix: pulumi.Output<string>;
  declare readonly githubToken: pulumi.Output<string | undefined>;

  constructor(name: string, args: FleetTeardownArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      fleetTeardownProvider,
      name,
      {
        stack: args.stack,
        region: args.region,
        jitPrefix: jitParameterPrefix(args.stack),
        profile: args.profile,
        maxWaitSeconds: args.maxWaitSeconds ?? TEARDOWN_LIMITS.maxWaitSeconds,
        firstPollSeconds: args.firstPollSeconds ?? TEARDOWN_LIMITS.firstPollSeconds,
        maxPollSeconds: args.maxPollSeconds ?? TEARDOWN_LIMITS.maxPollSeconds,
        githubOrg: args.github?.org,
        githubToken: args.github === undefined ? undefined : pulumi.secret(args.github.token),
        githubApiUrl: args.github?.apiUrl,
      },
      { ...opts, additionalSecretOutputs: ['githubToken'] },
      'harrier',
      'FleetTeardown',
    );
  }
}
