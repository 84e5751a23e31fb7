/**
 * One small stateful stand-in for the parts of EC2, SSM and Secrets Manager Harrier uses, installed
 * with aws-sdk-client-mock so every `EC2Client`/`SSMClient`/`SecretsManagerClient` in the process
 * (including the ones handlers memoise at module scope) talks to it. DynamoDB and SQS are not here:
 * real emulators exist for them (see emulators.ts).
 *
 * It behaves like AWS where Harrier depends on it: instance states move on a clock with realistic
 * timings, calls in the wrong state fail with AWS's error names, SSM enforces the 4 KB standard and
 * 8 KB advanced parameter limits, and EC2 state changes come out as EventBridge events.
 *
 * Caveat: aws-sdk-client-mock replaces `send`, so the SDK's own retries never run here; a throttling
 * error reaches the caller on the first attempt (harsher than AWS, where the SDK retries 3 times).
 */
import {
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeInstancesCommand,
  DescribeTagsCommand,
  EC2Client,
  EC2ServiceException,
  ModifyInstanceAttributeCommand,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  type CreateTagsCommandInput,
  type DeleteTagsCommandInput,
  type DescribeInstancesCommandInput,
  type DescribeInstancesCommandOutput,
  type DescribeTagsCommandInput,
  type DescribeTagsCommandOutput,
  type Filter,
  type Instance,
  type InstanceStateChange,
  type ModifyInstanceAttributeCommandInput,
  type RunInstancesCommandInput,
  type RunInstancesCommandOutput,
  type StartInstancesCommandInput,
  type StopInstancesCommandInput,
  type TerminateInstancesCommandInput,
} from '@aws-sdk/client-ec2';
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  type GetSecretValueCommandInput,
} from '@aws-sdk/client-secrets-manager';
import {
  AccessDeniedException,
  AddTagsToResourceCommand,
  DeleteParameterCommand,
  GetParameterCommand,
  InvalidResourceId,
  ListTagsForResourceCommand,
  ParameterAlreadyExists,
  ParameterMaxVersionLimitExceeded,
  ParameterNotFound,
  PutParameterCommand,
  SSMClient,
  ThrottlingException,
  ValidationException,
  type AddTagsToResourceCommandInput,
  type DeleteParameterCommandInput,
  type GetParameterCommandInput,
  type ListTagsForResourceCommandInput,
  type PutParameterCommandInput,
} from '@aws-sdk/client-ssm';
type ResponseMetadata = RunInstancesCommandOutput['$metadata'];
import { mockClient } from 'aws-sdk-client-mock';
import { JIT_PARAMETER_OWNER_TAG } from '../constants';
import type { Clock, TimerHandle } from './clock';
import { seededRandom, type Random } from './random';

export type InstanceStateName =
  'pending' | 'running' | 'stopping' | 'stopped' | 'shutting-down' | 'terminated';

/** EC2's numeric state codes (the low byte of `State.Code`). */
export const STATE_CODE: Record<InstanceStateName, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

/** How long each transition takes, in simulated milliseconds. */
export interface AwsTimings {
  /** RunInstances: pending → running. @default 10 s */
  launchMs: number;
  /** First boot: the bootstrap script (runner, Docker, Mountpoint, agent unit) before the agent starts. @default 60 s */
  bootstrapMs: number;
  /** StartInstances from stopped: pending → running, OS booted. @default 12 s */
  startMs: number;
  /** stopping → stopped. @default 5 s */
  stopMs: number;
  /** shutting-down → terminated. @default 3 s */
  terminateMs: number;
  /** A terminated instance stays visible to DescribeInstances this long, as on EC2. @default 1 h */
  terminatedVisibleMs: number;
}

export const DEFAULT_TIMINGS: AwsTimings = {
  launchMs: 10_000,
  bootstrapMs: 60_000,
  startMs: 12_000,
  stopMs: 5_000,
  terminateMs: 3_000,
  terminatedVisibleMs: 60 * 60_000,
};

/** Fault injection; rates are probabilities per call. */
export interface AwsFaults {
  /** RunInstances / StartInstances fail with InsufficientInstanceCapacity. @default 0 */
  capacityErrorRate: number;
  /** Any EC2 call fails with RequestLimitExceeded, any SSM call with ThrottlingException. @default 0 */
  throttleRate: number;
  /** AZs with no capacity at all (every launch/start there fails). @default none */
  exhaustedZones: Set<string>;
}

export interface AwsStandInOptions {
  clock: Clock;
  timings?: Partial<AwsTimings>;
  faults?: Partial<AwsFaults>;
  /** Seed for fault injection. @default 1 */
  seed?: number;
  /** @default 'us-east-1' */
  region?: string;
  /** @default '123456789012' */
  accountId?: string;
  /** Subnet id → AZ. @default two subnets in `${region}a` and `${region}b` */
  subnets?: Record<string, string>;
  /** Launch template ids RunInstances accepts. @default any */
  launchTemplates?: string[];
  /** @default 'm7i.large' */
  instanceType?: string;
  /**
   * Enforce the instance role's policy on SSM reads and deletes made with an instance's credentials
   * (`instanceCredentials(id)`): allowed only when the parameter's `harrier:instance-arn` tag is
   * that instance's ARN, AccessDeniedException otherwise, as IAM's `ssm:resourceTag` condition does.
   * Calls with any other credentials (the Lambdas' roles) are not restricted.
   * @default false
   */
  enforceInstancePolicy?: boolean;
}

/** What the stand-in exposes of one instance (a snapshot). */
export interface FakeInstanceView {
  instanceId: string;
  state: InstanceStateName;
  tags: Record<string, string>;
  availabilityZone: string;
  subnetId: string;
  launchTemplateId: string | undefined;
  shutdownBehavior: 'stop' | 'terminate';
  launchedAt: number;
  /** How many times the OS booted (first boot runs the bootstrap). */
  boots: number;
}

/** An `EC2 Instance State-change Notification` event, as EventBridge delivers it to a Lambda. */
export interface Ec2StateChangeEvent {
  version: '0';
  id: string;
  'detail-type': 'EC2 Instance State-change Notification';
  source: 'aws.ec2';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: { 'instance-id': string; state: InstanceStateName };
}

/** Handed to the boot hook: the running OS of one boot. */
export interface BootContext {
  instance: FakeInstanceView;
  /** True while this boot's OS is still running. */
  alive(): boolean;
  /** `shutdown -h now` from inside: stops or terminates per the instance's shutdown behaviour. */
  powerOff(): void;
  /** Tag read through instance metadata (IMDS metadata tags); throws once the OS is off. */
  tag(key: string): string | undefined;
}

/** The machine is off: IMDS and the OS are gone, whatever ran on it stops here. */
export class InstancePoweredOffError extends Error {
  constructor(readonly instanceId: string) {
    super(`instance ${instanceId} is no longer running`);
    this.name = 'InstancePoweredOffError';
  }
}

interface FakeInstance {
  instanceId: string;
  state: InstanceStateName;
  tags: Map<string, string>;
  availabilityZone: string;
  subnetId: string;
  launchTemplateId: string | undefined;
  shutdownBehavior: 'stop' | 'terminate';
  launchedAt: number;
  boots: number;
  /** Current boot number while the OS runs; 0 when it is off. */
  liveBoot: number;
  timer?: TimerHandle;
  goneAt?: number;
}

interface FakeParameter {
  name: string;
  value: string;
  type: string;
  tier: 'Standard' | 'Advanced';
  version: number;
  lastModified: number;
  /** Tag key → value; SSM keeps them across overwrites and drops them with the parameter. */
  tags: Map<string, string>;
}

/** Session tokens of instance credentials carry this prefix and the instance id after it. */
const INSTANCE_SESSION_PREFIX = 'harrier-standin-instance:';

/** SSM value limits, in bytes: https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html */
export const SSM_STANDARD_MAX_BYTES = 4 * 1024;
export const SSM_ADVANCED_MAX_BYTES = 8 * 1024;
/** SSM keeps 100 versions of a parameter; the 101st write fails until old ones are deleted. */
export const SSM_MAX_VERSIONS = 100;

type Listener = (event: Ec2StateChangeEvent) => void;
type BootHook = (boot: BootContext) => void;

export class AwsStandIn {
  readonly region: string;
  readonly accountId: string;
  readonly timings: AwsTimings;
  readonly faults: AwsFaults;
  /** Calls by `Service.Operation`, including failed ones. */
  readonly calls = new Map<string, number>();
  /** Every error the stand-in raised, by `Service.Operation:ErrorName`. */
  readonly errors = new Map<string, number>();
  /** Every PutParameter input, in order, refused ones included (to check how a parameter was written). */
  readonly parameterPuts: PutParameterCommandInput[] = [];

  private readonly clock: Clock;
  private readonly random: Random;
  private readonly subnets: Record<string, string>;
  private readonly launchTemplates: Set<string> | undefined;
  private readonly instanceType: string;
  private readonly enforceInstancePolicy: boolean;
  private readonly instances = new Map<string, FakeInstance>();
  private readonly parameters = new Map<string, FakeParameter>();
  private readonly secrets = new Map<string, { arn: string; name: string; value: string }>();
  private readonly listeners = new Set<Listener>();
  private bootHook: BootHook | undefined;
  private instanceCounter = 0;
  private requestCounter = 0;
  private mocks: { restore(): void }[] | undefined;

  constructor(options: AwsStandInOptions) {
    this.clock = options.clock;
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '123456789012';
    this.timings = { ...DEFAULT_TIMINGS, ...options.timings };
    this.faults = {
      capacityErrorRate: options.faults?.capacityErrorRate ?? 0,
      throttleRate: options.faults?.throttleRate ?? 0,
      exhaustedZones: options.faults?.exhaustedZones ?? new Set(),
    };
    this.random = seededRandom(options.seed ?? 1);
    this.subnets = options.subnets ?? { 'subnet-0a1': `${this.region}a`, 'subnet-0b2': `${this.region}b` };
    this.launchTemplates = options.launchTemplates ? new Set(options.launchTemplates) : undefined;
    this.instanceType = options.instanceType ?? 'm7i.large';
    this.enforceInstancePolicy = options.enforceInstancePolicy ?? false;
  }

  // ---- wiring ------------------------------------------------------------------------------------

  /** Routes every EC2, SSM and Secrets Manager client of the process to this stand-in. */
  install(): this {
    if (this.mocks) return this;
    const ec2 = mockClient(EC2Client);
    const ssm = mockClient(SSMClient);
    const secrets = mockClient(SecretsManagerClient);
    // Anything Harrier starts calling that is not modelled fails loudly instead of answering undefined.
    const unmodelled = (service: string) => () => {
      throw new Error(`${service} stand-in: operation not modelled (add it to src/standins/aws.ts)`);
    };
    ec2.onAnyCommand().callsFake(unmodelled('EC2'));
    ssm.onAnyCommand().callsFake(unmodelled('SSM'));
    secrets.onAnyCommand().callsFake(unmodelled('SecretsManager'));
    const wrap =
      <I, O>(op: string, fn: (input: I) => O) =>
      (input: I): Promise<O> =>
        Promise.resolve().then(() => this.call(op, () => fn(input)));
    ec2
      .on(RunInstancesCommand)
      .callsFake(wrap('EC2.RunInstances', (i: RunInstancesCommandInput) => this.runInstances(i)));
    ec2
      .on(StartInstancesCommand)
      .callsFake(wrap('EC2.StartInstances', (i: StartInstancesCommandInput) => this.startInstances(i)));
    ec2
      .on(StopInstancesCommand)
      .callsFake(wrap('EC2.StopInstances', (i: StopInstancesCommandInput) => this.stopInstances(i)));
    ec2
      .on(TerminateInstancesCommand)
      .callsFake(
        wrap('EC2.TerminateInstances', (i: TerminateInstancesCommandInput) => this.terminateInstances(i)),
      );
    ec2
      .on(DescribeInstancesCommand)
      .callsFake(
        wrap('EC2.DescribeInstances', (i: DescribeInstancesCommandInput) => this.describeInstances(i)),
      );
    ec2
      .on(CreateTagsCommand)
      .callsFake(wrap('EC2.CreateTags', (i: CreateTagsCommandInput) => this.createTags(i)));
    ec2
      .on(DeleteTagsCommand)
      .callsFake(wrap('EC2.DeleteTags', (i: DeleteTagsCommandInput) => this.deleteTags(i)));
    ec2
      .on(DescribeTagsCommand)
      .callsFake(wrap('EC2.DescribeTags', (i: DescribeTagsCommandInput) => this.describeTags(i)));
    ec2
      .on(ModifyInstanceAttributeCommand)
      .callsFake(
        wrap('EC2.ModifyInstanceAttribute', (i: ModifyInstanceAttributeCommandInput) =>
          this.modifyInstanceAttribute(i),
        ),
      );
    ssm.on(PutParameterCommand).callsFake(
      wrap('SSM.PutParameter', (i: PutParameterCommandInput) => {
        this.parameterPuts.push(i);
        return this.putParameter(i);
      }),
    );
    // Reads and deletes need the caller (its credentials) for the instance policy.
    const asCaller =
      <I, O>(op: string, fn: (input: I, caller: string | undefined) => O) =>
      async (input: I, getClient: () => SSMClient): Promise<O> => {
        const caller = await this.callerInstance(getClient());
        return this.call(op, () => fn(input, caller));
      };
    ssm
      .on(GetParameterCommand)
      .callsFake(asCaller('SSM.GetParameter', (i: GetParameterCommandInput, c) => this.getParameter(i, c)));
    ssm
      .on(DeleteParameterCommand)
      .callsFake(
        asCaller('SSM.DeleteParameter', (i: DeleteParameterCommandInput, c) => this.deleteParameter(i, c)),
      );
    ssm
      .on(AddTagsToResourceCommand)
      .callsFake(
        wrap('SSM.AddTagsToResource', (i: AddTagsToResourceCommandInput) => this.addTagsToResource(i)),
      );
    ssm
      .on(ListTagsForResourceCommand)
      .callsFake(
        wrap('SSM.ListTagsForResource', (i: ListTagsForResourceCommandInput) => this.listTagsForResource(i)),
      );
    secrets
      .on(GetSecretValueCommand)
      .callsFake(
        wrap('SecretsManager.GetSecretValue', (i: GetSecretValueCommandInput) => this.getSecretValue(i)),
      );
    this.mocks = [ec2, ssm, secrets];
    return this;
  }

  /** Restores the real clients and cancels every pending transition. */
  uninstall(): void {
    for (const mock of this.mocks ?? []) mock.restore();
    this.mocks = undefined;
    for (const instance of this.instances.values()) if (instance.timer) this.clock.clearTimer(instance.timer);
  }

  /** Receives every EC2 state change as an EventBridge event. Returns an unsubscribe function. */
  onStateChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Runs when an instance's OS is up (after the bootstrap on its first boot): the on-instance agent. */
  onBoot(hook: BootHook): void {
    this.bootHook = hook;
  }

  /** Stores a secret; returns its ARN (what Lambdas get in their environment). */
  createSecret(name: string, value: string): string {
    const suffix = (this.secrets.size + 1).toString(36).padStart(6, 'x');
    const arn = `arn:aws:secretsmanager:${this.region}:${this.accountId}:secret:${name}-${suffix}`;
    this.secrets.set(arn, { arn, name, value });
    return arn;
  }

  // ---- inspection --------------------------------------------------------------------------------

  listInstances(): FakeInstanceView[] {
    return [...this.instances.values()].map((i) => this.view(i));
  }

  instance(instanceId: string): FakeInstanceView | undefined {
    const found = this.instances.get(instanceId);
    return found ? this.view(found) : undefined;
  }

  /** Names of the SSM parameters that exist now. */
  parameterNames(): string[] {
    return [...this.parameters.keys()];
  }

  /** A parameter's tags now (a copy), or undefined when it does not exist. */
  parameterTags(name: string): Record<string, string> | undefined {
    const parameter = this.parameters.get(name);
    return parameter ? Object.fromEntries(parameter.tags) : undefined;
  }

  /** The ARN IAM sees for an instance (what the owner tag must hold). */
  instanceArn(instanceId: string): string {
    return `arn:aws:ec2:${this.region}:${this.accountId}:instance/${instanceId}`;
  }

  /**
   * Credentials as the instance profile hands them to code on `instanceId`: a client built with
   * them is treated as that instance's role (see `enforceInstancePolicy`).
   */
  instanceCredentials(instanceId: string): {
    accessKeyId: string;
    secretAccessKey: string;
    sessionToken: string;
  } {
    return {
      accessKeyId: 'ASIASTANDININSTANCE',
      secretAccessKey: 'stand-in',
      sessionToken: `${INSTANCE_SESSION_PREFIX}${instanceId}`,
    };
  }

  // ---- EC2 ---------------------------------------------------------------------------------------

  private runInstances(input: RunInstancesCommandInput): RunInstancesCommandOutput {
    this.maybeThrottle('EC2');
    if (input.MinCount === undefined || input.MaxCount === undefined) {
      throw this.ec2Error('MissingParameter', 'The request must contain the parameter MinCount and MaxCount');
    }
    const templateId = input.LaunchTemplate?.LaunchTemplateId;
    if (this.launchTemplates && templateId !== undefined && !this.launchTemplates.has(templateId)) {
      throw this.ec2Error(
        'InvalidLaunchTemplateId.NotFound',
        `The specified launch template, with template ID ${templateId}, does not exist.`,
      );
    }
    const subnetId = input.SubnetId ?? Object.keys(this.subnets)[0]!;
    const zone = this.subnets[subnetId];
    if (zone === undefined)
      throw this.ec2Error('InvalidSubnetID.NotFound', `The subnet ID '${subnetId}' does not exist`);
    this.maybeCapacityError(zone);

    const tags = new Map<string, string>();
    for (const spec of input.TagSpecifications ?? []) {
      if (spec.ResourceType !== 'instance') continue;
      for (const tag of spec.Tags ?? []) if (tag.Key) tags.set(tag.Key, tag.Value ?? '');
    }
    const created: FakeInstance[] = [];
    for (let n = 0; n < input.MaxCount; n++) {
      const instance: FakeInstance = {
        instanceId: `i-0${(++this.instanceCounter).toString(16).padStart(16, '0')}`,
        state: 'pending',
        tags: new Map(tags),
        availabilityZone: zone,
        subnetId,
        launchTemplateId: templateId,
        shutdownBehavior: input.InstanceInitiatedShutdownBehavior === 'terminate' ? 'terminate' : 'stop',
        launchedAt: this.clock.now(),
        boots: 0,
        liveBoot: 0,
      };
      this.instances.set(instance.instanceId, instance);
      created.push(instance);
      this.emit(instance);
      this.schedule(instance, this.timings.launchMs, () => this.becomeRunning(instance));
    }
    return {
      $metadata: this.metadata(),
      ReservationId: `r-0${this.instanceCounter.toString(16).padStart(16, '0')}`,
      OwnerId: this.accountId,
      Instances: created.map((i) => this.describe(i)),
    };
  }

  private startInstances(input: StartInstancesCommandInput): { StartingInstances: InstanceStateChange[] } {
    this.maybeThrottle('EC2');
    const instances = this.lookup(input.InstanceIds);
    for (const instance of instances) {
      if (
        instance.state === 'stopping' ||
        instance.state === 'shutting-down' ||
        instance.state === 'terminated'
      ) {
        throw this.ec2Error(
          'IncorrectInstanceState',
          `The instance '${instance.instanceId}' is not in a state from which it can be started.`,
        );
      }
    }
    for (const instance of instances)
      if (instance.state === 'stopped') this.maybeCapacityError(instance.availabilityZone);
    return {
      StartingInstances: instances.map((instance) => {
        const previous = instance.state;
        if (previous === 'stopped') {
          this.setState(instance, 'pending');
          this.schedule(instance, this.timings.startMs, () => this.becomeRunning(instance));
        }
        return this.change(instance, previous);
      }),
    };
  }

  private stopInstances(input: StopInstancesCommandInput): { StoppingInstances: InstanceStateChange[] } {
    this.maybeThrottle('EC2');
    const instances = this.lookup(input.InstanceIds);
    for (const instance of instances) {
      if (
        instance.state === 'pending' ||
        instance.state === 'shutting-down' ||
        instance.state === 'terminated'
      ) {
        throw this.ec2Error(
          'IncorrectInstanceState',
          `This instance '${instance.instanceId}' is not in a state from which it can be stopped.`,
        );
      }
    }
    return {
      StoppingInstances: instances.map((instance) => {
        const previous = instance.state;
        if (previous === 'running') this.beginStop(instance);
        return this.change(instance, previous);
      }),
    };
  }

  private terminateInstances(input: TerminateInstancesCommandInput): {
    TerminatingInstances: InstanceStateChange[];
  } {
    this.maybeThrottle('EC2');
    const instances = this.lookup(input.InstanceIds);
    return {
      TerminatingInstances: instances.map((instance) => {
        const previous = instance.state;
        if (previous !== 'terminated' && previous !== 'shutting-down') this.beginTerminate(instance);
        return this.change(instance, previous);
      }),
    };
  }

  private describeInstances(input: DescribeInstancesCommandInput): DescribeInstancesCommandOutput {
    this.maybeThrottle('EC2');
    this.expireTerminated();
    const selected = input.InstanceIds?.length
      ? this.lookup(input.InstanceIds)
      : [...this.instances.values()];
    const matching = selected.filter((instance) => this.matches(instance, input.Filters ?? []));
    const start = input.NextToken ? Number(input.NextToken) : 0;
    const pageSize = input.MaxResults ?? matching.length;
    const page = matching.slice(start, start + pageSize);
    const next = start + pageSize < matching.length ? String(start + pageSize) : undefined;
    return {
      $metadata: this.metadata(),
      Reservations: page.map((instance) => ({
        ReservationId: `r-${instance.instanceId.slice(2)}`,
        OwnerId: this.accountId,
        Instances: [this.describe(instance)],
      })),
      ...(next === undefined ? {} : { NextToken: next }),
    };
  }

  private createTags(input: CreateTagsCommandInput): { $metadata: ResponseMetadata } {
    this.maybeThrottle('EC2');
    for (const instance of this.lookup(input.Resources)) {
      for (const tag of input.Tags ?? []) if (tag.Key) instance.tags.set(tag.Key, tag.Value ?? '');
    }
    return { $metadata: this.metadata() };
  }

  private deleteTags(input: DeleteTagsCommandInput): { $metadata: ResponseMetadata } {
    this.maybeThrottle('EC2');
    for (const instance of this.lookup(input.Resources)) {
      for (const tag of input.Tags ?? []) if (tag.Key) instance.tags.delete(tag.Key);
    }
    return { $metadata: this.metadata() };
  }

  private describeTags(input: DescribeTagsCommandInput): DescribeTagsCommandOutput {
    this.maybeThrottle('EC2');
    const filters = input.Filters ?? [];
    const values = (name: string): string[] | undefined => filters.find((f) => f.Name === name)?.Values;
    const resourceIds = values('resource-id');
    const keys = values('key');
    const tags: NonNullable<DescribeTagsCommandOutput['Tags']> = [];
    for (const instance of this.instances.values()) {
      if (resourceIds && !resourceIds.includes(instance.instanceId)) continue;
      for (const [key, value] of instance.tags) {
        if (keys && !keys.includes(key)) continue;
        tags.push({ Key: key, Value: value, ResourceId: instance.instanceId, ResourceType: 'instance' });
      }
    }
    return { $metadata: this.metadata(), Tags: tags };
  }

  private modifyInstanceAttribute(input: ModifyInstanceAttributeCommandInput): {
    $metadata: ResponseMetadata;
  } {
    this.maybeThrottle('EC2');
    const [instance] = this.lookup(input.InstanceId === undefined ? [] : [input.InstanceId]);
    const value =
      input.InstanceInitiatedShutdownBehavior?.Value ??
      (input.Attribute === 'instanceInitiatedShutdownBehavior' ? input.Value : undefined);
    if (!instance || value === undefined) {
      throw this.ec2Error(
        'MissingParameter',
        'ModifyInstanceAttribute: only InstanceInitiatedShutdownBehavior is modelled',
      );
    }
    if (value !== 'stop' && value !== 'terminate') {
      throw this.ec2Error('InvalidParameterValue', `Value (${value}) for parameter value is invalid.`);
    }
    if (instance.state === 'terminated' || instance.state === 'shutting-down') {
      throw this.ec2Error(
        'IncorrectInstanceState',
        `The instance '${instance.instanceId}' is not in a valid state.`,
      );
    }
    instance.shutdownBehavior = value;
    return { $metadata: this.metadata() };
  }

  // ---- SSM ---------------------------------------------------------------------------------------

  private putParameter(input: PutParameterCommandInput): {
    $metadata: ResponseMetadata;
    Version: number;
    Tier: string;
  } {
    this.maybeThrottle('SSM');
    const name = input.Name ?? '';
    const value = input.Value ?? '';
    if ((input.Tags?.length ?? 0) > 0 && input.Overwrite === true) {
      // AWS's rule: tags only on creation; existing parameters are tagged with AddTagsToResource.
      throw new ValidationException({
        $metadata: this.metadata(400),
        message:
          "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.",
      });
    }
    const tier = input.Tier === 'Advanced' ? 'Advanced' : 'Standard';
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes > SSM_ADVANCED_MAX_BYTES) {
      throw new ValidationException({
        $metadata: this.metadata(400),
        message: `1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length less than or equal to ${SSM_ADVANCED_MAX_BYTES}`,
      });
    }
    if (tier === 'Standard' && bytes > SSM_STANDARD_MAX_BYTES) {
      throw new ValidationException({
        $metadata: this.metadata(400),
        message: `Standard tier parameters support a maximum parameter value of ${SSM_STANDARD_MAX_BYTES} characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier. For more information, see https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html`,
      });
    }
    const existing = this.parameters.get(name);
    if (existing && !input.Overwrite) {
      throw new ParameterAlreadyExists({
        $metadata: this.metadata(400),
        message: 'The parameter already exists.',
      });
    }
    if (existing && existing.version >= SSM_MAX_VERSIONS) {
      throw new ParameterMaxVersionLimitExceeded({
        $metadata: this.metadata(400),
        message: `Parameter ${name} has had the maximum number of versions (${SSM_MAX_VERSIONS}).`,
      });
    }
    const version = (existing?.version ?? 0) + 1;
    this.parameters.set(name, {
      name,
      value,
      type: input.Type ?? existing?.type ?? 'String',
      tier,
      version,
      lastModified: this.clock.now(),
      tags:
        existing?.tags ?? new Map((input.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? ''] as const)),
    });
    return { $metadata: this.metadata(), Version: version, Tier: tier };
  }

  private getParameter(
    input: GetParameterCommandInput,
    caller: string | undefined,
  ): {
    $metadata: ResponseMetadata;
    Parameter: {
      Name: string;
      Type: string;
      Value: string;
      Version: number;
      LastModifiedDate: Date;
      ARN: string;
    };
  } {
    this.maybeThrottle('SSM');
    this.authorize('ssm:GetParameter', input.Name ?? '', caller);
    const parameter = this.parameters.get(input.Name ?? '');
    if (!parameter) throw new ParameterNotFound({ $metadata: this.metadata(400), message: '' });
    const encrypted = parameter.type === 'SecureString' && !input.WithDecryption;
    return {
      $metadata: this.metadata(),
      Parameter: {
        Name: parameter.name,
        Type: parameter.type,
        // Without decryption SSM returns the KMS ciphertext; any opaque string stands in for it.
        Value: encrypted
          ? Buffer.from(`kms:${parameter.name}:${parameter.version}`).toString('base64')
          : parameter.value,
        Version: parameter.version,
        LastModifiedDate: new Date(parameter.lastModified),
        ARN: `arn:aws:ssm:${this.region}:${this.accountId}:parameter${parameter.name}`,
      },
    };
  }

  private deleteParameter(
    input: DeleteParameterCommandInput,
    caller: string | undefined,
  ): { $metadata: ResponseMetadata } {
    this.maybeThrottle('SSM');
    this.authorize('ssm:DeleteParameter', input.Name ?? '', caller);
    if (!this.parameters.delete(input.Name ?? '')) {
      throw new ParameterNotFound({ $metadata: this.metadata(400), message: '' });
    }
    return { $metadata: this.metadata() };
  }

  private addTagsToResource(input: AddTagsToResourceCommandInput): { $metadata: ResponseMetadata } {
    this.maybeThrottle('SSM');
    const parameter = this.taggable(input.ResourceType, input.ResourceId);
    for (const tag of input.Tags ?? []) parameter.tags.set(tag.Key ?? '', tag.Value ?? '');
    return { $metadata: this.metadata() };
  }

  private listTagsForResource(input: ListTagsForResourceCommandInput): {
    $metadata: ResponseMetadata;
    TagList: { Key: string; Value: string }[];
  } {
    this.maybeThrottle('SSM');
    const parameter = this.taggable(input.ResourceType, input.ResourceId);
    return {
      $metadata: this.metadata(),
      TagList: [...parameter.tags].map(([Key, Value]) => ({ Key, Value })),
    };
  }

  /** Only parameters are modelled; SSM answers InvalidResourceId for a missing one. */
  private taggable(resourceType: string | undefined, resourceId: string | undefined): FakeParameter {
    if (resourceType !== 'Parameter') {
      throw new ValidationException({
        $metadata: this.metadata(400),
        message: `SSM stand-in: ResourceType ${resourceType} is not modelled (only Parameter)`,
      });
    }
    const parameter = this.parameters.get(resourceId ?? '');
    if (!parameter) throw new InvalidResourceId({ $metadata: this.metadata(400), message: '' });
    return parameter;
  }

  /** The instance whose credentials the client carries, if any. */
  private async callerInstance(client: SSMClient): Promise<string | undefined> {
    const provider = client.config.credentials as unknown;
    let credentials: { sessionToken?: string } | undefined;
    try {
      credentials =
        typeof provider === 'function'
          ? await (provider as () => Promise<{ sessionToken?: string }>)()
          : (provider as { sessionToken?: string } | undefined);
    } catch {
      // No credentials configured (tests, local mode): not an instance's role.
      return undefined;
    }
    const token = credentials?.sessionToken ?? '';
    return token.startsWith(INSTANCE_SESSION_PREFIX)
      ? token.slice(INSTANCE_SESSION_PREFIX.length)
      : undefined;
  }

  /**
   * The instance role's policy: its own parameter only, by the owner tag. IAM evaluates the
   * condition before SSM looks the parameter up, so a missing parameter is denied too.
   */
  private authorize(action: string, name: string, caller: string | undefined): void {
    if (!this.enforceInstancePolicy || caller === undefined) return;
    const arn = this.instanceArn(caller);
    if (this.parameters.get(name)?.tags.get(JIT_PARAMETER_OWNER_TAG) === arn) return;
    const message = `User: arn:aws:sts::${this.accountId}:assumed-role/harrier-instance/${caller} is not authorized to perform: ${action} on resource: arn:aws:ssm:${this.region}:${this.accountId}:parameter${name} because no identity-based policy allows the ${action} action`;
    throw new AccessDeniedException({ $metadata: this.metadata(400), Message: message, message });
  }

  // ---- Secrets Manager ---------------------------------------------------------------------------

  private getSecretValue(input: GetSecretValueCommandInput): {
    $metadata: ResponseMetadata;
    ARN: string;
    Name: string;
    SecretString: string;
    VersionId: string;
  } {
    const secret = [...this.secrets.values()].find(
      (s) => s.arn === input.SecretId || s.name === input.SecretId,
    );
    if (!secret) {
      throw new ResourceNotFoundException({
        $metadata: this.metadata(400),
        message: "Secrets Manager can't find the specified secret.",
      });
    }
    return {
      $metadata: this.metadata(),
      ARN: secret.arn,
      Name: secret.name,
      SecretString: secret.value,
      VersionId: '00000000-0000-4000-8000-000000000001',
    };
  }

  // ---- state machine -----------------------------------------------------------------------------

  private becomeRunning(instance: FakeInstance): void {
    this.setState(instance, 'running');
    instance.boots += 1;
    const boot = instance.boots;
    instance.liveBoot = boot;
    const firstBoot = boot === 1;
    const startAgent = (): void => {
      if (instance.liveBoot !== boot) return;
      this.bootHook?.(this.bootContext(instance, boot));
    };
    // The first boot runs the bootstrap script before the agent unit starts.
    if (firstBoot) this.schedule(instance, this.timings.bootstrapMs, startAgent);
    else startAgent();
  }

  private bootContext(instance: FakeInstance, boot: number): BootContext {
    const alive = (): boolean => instance.liveBoot === boot && instance.state === 'running';
    return {
      instance: this.view(instance),
      alive,
      powerOff: () => {
        if (!alive()) return;
        if (instance.shutdownBehavior === 'terminate') this.beginTerminate(instance);
        else this.beginStop(instance);
      },
      tag: (key) => {
        if (!alive()) throw new InstancePoweredOffError(instance.instanceId);
        return instance.tags.get(key);
      },
    };
  }

  private beginStop(instance: FakeInstance): void {
    instance.liveBoot = 0;
    this.setState(instance, 'stopping');
    this.schedule(instance, this.timings.stopMs, () => this.setState(instance, 'stopped'));
  }

  private beginTerminate(instance: FakeInstance): void {
    instance.liveBoot = 0;
    this.setState(instance, 'shutting-down');
    this.schedule(instance, this.timings.terminateMs, () => {
      this.setState(instance, 'terminated');
      instance.goneAt = this.clock.now() + this.timings.terminatedVisibleMs;
    });
  }

  private schedule(instance: FakeInstance, ms: number, fn: () => void): void {
    if (instance.timer) this.clock.clearTimer(instance.timer);
    instance.timer = this.clock.setTimer(ms, () => {
      instance.timer = undefined;
      fn();
    });
  }

  private setState(instance: FakeInstance, state: InstanceStateName): void {
    instance.state = state;
    this.emit(instance);
  }

  private emit(instance: FakeInstance): void {
    const event: Ec2StateChangeEvent = {
      version: '0',
      id: `ec2-${instance.instanceId}-${++this.requestCounter}`,
      'detail-type': 'EC2 Instance State-change Notification',
      source: 'aws.ec2',
      account: this.accountId,
      time: new Date(this.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.region,
      resources: [`arn:aws:ec2:${this.region}:${this.accountId}:instance/${instance.instanceId}`],
      detail: { 'instance-id': instance.instanceId, state: instance.state },
    };
    for (const listener of this.listeners) listener(event);
  }

  private expireTerminated(): void {
    const now = this.clock.now();
    for (const [id, instance] of this.instances) {
      if (instance.goneAt !== undefined && instance.goneAt <= now) this.instances.delete(id);
    }
  }

  // ---- helpers -----------------------------------------------------------------------------------

  private call<T>(op: string, fn: () => T): T {
    this.calls.set(op, (this.calls.get(op) ?? 0) + 1);
    try {
      return fn();
    } catch (error: unknown) {
      const name = error instanceof Error ? error.name : 'Error';
      this.errors.set(`${op}:${name}`, (this.errors.get(`${op}:${name}`) ?? 0) + 1);
      throw error;
    }
  }

  private lookup(ids: string[] | undefined): FakeInstance[] {
    this.expireTerminated();
    const list = ids ?? [];
    const malformed = list.filter((id) => !/^i-[0-9a-f]{8,17}$/.test(id));
    if (malformed.length > 0)
      throw this.ec2Error('InvalidInstanceID.Malformed', `Invalid id: "${malformed[0]}"`);
    const missing = list.filter((id) => !this.instances.has(id));
    if (missing.length > 0) {
      throw this.ec2Error(
        'InvalidInstanceID.NotFound',
        `The instance ID${missing.length > 1 ? 's' : ''} '${missing.join(', ')}' do${missing.length > 1 ? '' : 'es'} not exist`,
      );
    }
    return list.map((id) => this.instances.get(id)!);
  }

  private matches(instance: FakeInstance, filters: Filter[]): boolean {
    return filters.every((filter) => {
      const values = filter.Values ?? [];
      const name = filter.Name ?? '';
      if (name === 'instance-state-name') return values.includes(instance.state);
      if (name === 'instance-id') return values.includes(instance.instanceId);
      if (name === 'availability-zone') return values.includes(instance.availabilityZone);
      if (name === 'tag-key') return values.some((key) => instance.tags.has(key));
      if (name.startsWith('tag:')) {
        const value = instance.tags.get(name.slice(4));
        return value !== undefined && values.includes(value);
      }
      throw this.ec2Error('InvalidParameterValue', `The filter '${name}' is invalid`);
    });
  }

  private maybeThrottle(service: 'EC2' | 'SSM'): void {
    if (!this.random.chance(this.faults.throttleRate)) return;
    if (service === 'EC2') {
      throw this.ec2Error('RequestLimitExceeded', 'Request limit exceeded.', 503, { throttling: true });
    }
    throw new ThrottlingException({
      $metadata: this.metadata(400),
      $retryable: { throttling: true },
      message: 'Rate exceeded',
      Message: 'Rate exceeded',
    } as ConstructorParameters<typeof ThrottlingException>[0]);
  }

  private maybeCapacityError(zone: string): void {
    if (this.faults.exhaustedZones.has(zone) || this.random.chance(this.faults.capacityErrorRate)) {
      throw this.ec2Error(
        'InsufficientInstanceCapacity',
        `We currently do not have sufficient ${this.instanceType} capacity in the Availability Zone you requested (${zone}). Our system will be working on provisioning additional capacity. You can currently get ${this.instanceType} capacity by not specifying an Availability Zone in your request or choosing a different Availability Zone.`,
        500,
      );
    }
  }

  private ec2Error(
    name: string,
    message: string,
    status = 400,
    retryable?: { throttling: boolean },
  ): EC2ServiceException {
    const error = new EC2ServiceException({
      name,
      $fault: status >= 500 ? 'server' : 'client',
      $metadata: this.metadata(status),
      message,
    });
    if (retryable) error.$retryable = retryable;
    return error;
  }

  private metadata(status = 200): ResponseMetadata {
    return {
      httpStatusCode: status,
      requestId: `00000000-0000-4000-8000-${(++this.requestCounter).toString(16).padStart(12, '0')}`,
      attempts: 1,
      totalRetryDelay: 0,
    };
  }

  private change(instance: FakeInstance, previous: InstanceStateName): InstanceStateChange {
    return {
      InstanceId: instance.instanceId,
      CurrentState: { Code: STATE_CODE[instance.state], Name: instance.state },
      PreviousState: { Code: STATE_CODE[previous], Name: previous },
    };
  }

  private describe(instance: FakeInstance): Instance {
    return {
      InstanceId: instance.instanceId,
      InstanceType: this.instanceType as Instance['InstanceType'],
      State: { Code: STATE_CODE[instance.state], Name: instance.state },
      LaunchTime: new Date(instance.launchedAt),
      Placement: { AvailabilityZone: instance.availabilityZone },
      SubnetId: instance.subnetId,
      Tags: [...instance.tags].map(([Key, Value]) => ({ Key, Value })),
    };
  }

  private view(instance: FakeInstance): FakeInstanceView {
    return {
      instanceId: instance.instanceId,
      state: instance.state,
      tags: Object.fromEntries(instance.tags),
      availabilityZone: instance.availabilityZone,
      subnetId: instance.subnetId,
      launchTemplateId: instance.launchTemplateId,
      shutdownBehavior: instance.shutdownBehavior,
      launchedAt: instance.launchedAt,
      boots: instance.boots,
    };
  }
}
