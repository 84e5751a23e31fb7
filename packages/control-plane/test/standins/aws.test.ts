import assert from 'node:assert/strict';
import {
  CreateTagsCommand,
  DescribeInstancesCommand,
  EC2Client,
  EC2ServiceException,
  ModifyInstanceAttributeCommand,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  GetConsoleOutputCommand,
} from '@aws-sdk/client-ec2';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  AccessDeniedException,
  AddTagsToResourceCommand,
  DeleteParameterCommand,
  GetParameterCommand,
  InvalidResourceId,
  ListTagsForResourceCommand,
  ParameterNotFound,
  PutParameterCommand,
  SSMClient,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-ssm';
import { AwsStandIn, type BootContext, type Ec2StateChangeEvent } from '../../src/standins/aws';
import { VirtualClock } from '../../src/standins/clock';

const ec2 = new EC2Client({ region: 'us-east-1' });
const ssm = new SSMClient({ region: 'us-east-1' });
const secrets = new SecretsManagerClient({ region: 'us-east-1' });

async function rejection(
  promise: Promise<unknown>,
): Promise<Error & { $fault?: string; $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error: unknown) {
    assert.ok(error instanceof Error);
    return error;
  }
  assert.fail('expected a rejection');
}

describe('AWS stand-in (EC2, SSM, Secrets Manager)', () => {
  let clock: VirtualClock;
  let aws: AwsStandIn;
  let events: Ec2StateChangeEvent[];

  const runFor = (ms: number): void => {
    const until = clock.now() + ms;
    while (clock.fireNext(until));
    clock.advanceTo(until);
  };
  const launch = async (tags: Record<string, string> = {}, subnetId = 'subnet-0a1'): Promise<string> => {
    const answer = await ec2.send(
      new RunInstancesCommand({
        MinCount: 1,
        MaxCount: 1,
        SubnetId: subnetId,
        LaunchTemplate: { LaunchTemplateId: 'lt-0123', Version: '$Default' },
        TagSpecifications: [
          { ResourceType: 'instance', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) },
        ],
      }),
    );
    return answer.Instances![0]!.InstanceId!;
  };

  beforeEach(() => {
    clock = new VirtualClock();
    aws = new AwsStandIn({ clock, launchTemplates: ['lt-0123'], enforceInstancePolicy: true }).install();
    events = [];
    aws.onStateChange((event) => events.push(event));
  });
  afterEach(() => aws.uninstall());

  it('launches an instance pending, tagged from TagSpecifications, running after the launch time', async () => {
    const id = await launch({ 'harrier:stack': 'demo', 'harrier:launch': 'pool' }, 'subnet-0b2');
    assert.equal(aws.instance(id)?.state, 'pending');
    assert.equal(aws.instance(id)?.availabilityZone, 'us-east-1b');
    runFor(aws.timings.launchMs);
    const described = await ec2.send(
      new DescribeInstancesCommand({ Filters: [{ Name: 'tag:harrier:stack', Values: ['demo'] }] }),
    );
    const instance = described.Reservations![0]!.Instances![0]!;
    assert.equal(instance.State?.Name, 'running');
    assert.equal(instance.State?.Code, 16);
    assert.deepEqual(instance.Tags?.find((t) => t.Key === 'harrier:launch')?.Value, 'pool');
  });

  it('emits EventBridge EC2 state-change events for every transition', async () => {
    const id = await launch();
    runFor(aws.timings.launchMs);
    await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
    runFor(aws.timings.stopMs);
    assert.deepEqual(
      events.map((e) => e.detail.state),
      ['pending', 'running', 'stopping', 'stopped'],
    );
    assert.equal(events[0]!['detail-type'], 'EC2 Instance State-change Notification');
    assert.equal(events[0]!.source, 'aws.ec2');
    assert.equal(events[0]!.detail['instance-id'], id);
  });

  it('refuses to start a stopping instance with IncorrectInstanceState, shaped like an SDK error', async () => {
    const id = await launch();
    runFor(aws.timings.launchMs);
    await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
    const error = await rejection(ec2.send(new StartInstancesCommand({ InstanceIds: [id] })));
    assert.ok(error instanceof EC2ServiceException);
    assert.equal(error.name, 'IncorrectInstanceState');
    assert.equal(error.$fault, 'client');
    assert.equal(error.$metadata?.httpStatusCode, 400);
  });

  it('starts a stopped instance and has it running after the start time', async () => {
    const id = await launch();
    runFor(aws.timings.launchMs);
    await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
    runFor(aws.timings.stopMs);
    const answer = await ec2.send(new StartInstancesCommand({ InstanceIds: [id] }));
    assert.equal(answer.StartingInstances?.[0]?.PreviousState?.Name, 'stopped');
    assert.equal(answer.StartingInstances?.[0]?.CurrentState?.Name, 'pending');
    runFor(aws.timings.startMs);
    assert.equal(aws.instance(id)?.state, 'running');
  });

  it('answers InvalidInstanceID.NotFound for an unknown instance', async () => {
    const error = await rejection(
      ec2.send(new TerminateInstancesCommand({ InstanceIds: ['i-0000000000000dead'] })),
    );
    assert.equal(error.name, 'InvalidInstanceID.NotFound');
  });

  it('fails launches in an exhausted AZ with InsufficientInstanceCapacity and serves the other AZ', async () => {
    aws.faults.exhaustedZones.add('us-east-1a');
    const error = await rejection(launch({}, 'subnet-0a1'));
    assert.equal(error.name, 'InsufficientInstanceCapacity');
    assert.equal(error.$fault, 'server');
    assert.match(await launch({}, 'subnet-0b2'), /^i-0[0-9a-f]{16}$/);
  });

  it('throttles EC2 with RequestLimitExceeded and SSM with ThrottlingException', async () => {
    aws.faults.throttleRate = 1;
    assert.equal((await rejection(launch())).name, 'RequestLimitExceeded');
    const error = await rejection(ssm.send(new GetParameterCommand({ Name: '/x' })));
    assert.ok(error instanceof ThrottlingException);
    assert.equal(aws.errors.get('EC2.RunInstances:RequestLimitExceeded'), 1);
  });

  it('refuses a standard-tier parameter over 4 KB with ValidationException', async () => {
    const error = await rejection(
      ssm.send(
        new PutParameterCommand({
          Name: '/harrier/demo/jit/i-1',
          Value: 'x'.repeat(4097),
          Type: 'SecureString',
        }),
      ),
    );
    assert.ok(error instanceof ValidationException);
    assert.match(error.message, /advanced-parameter tier/);
  });

  it('stores a 6 KB advanced-tier SecureString and refuses one over 8 KB', async () => {
    const put = (value: string) =>
      ssm.send(
        new PutParameterCommand({
          Name: '/harrier/demo/jit/i-1',
          Value: value,
          Type: 'SecureString',
          Tier: 'Advanced',
          Overwrite: true,
        }),
      );
    assert.equal((await put('y'.repeat(6 * 1024))).Tier, 'Advanced');
    const error = await rejection(put('z'.repeat(8 * 1024 + 1)));
    assert.ok(error instanceof ValidationException);
  });

  it('decrypts a SecureString only WithDecryption, then deletes it; a second read is ParameterNotFound', async () => {
    await ssm.send(
      new PutParameterCommand({ Name: '/p', Value: 'secret-jit', Type: 'SecureString', Tier: 'Advanced' }),
    );
    const raw = await ssm.send(new GetParameterCommand({ Name: '/p' }));
    assert.notEqual(raw.Parameter?.Value, 'secret-jit');
    const plain = await ssm.send(new GetParameterCommand({ Name: '/p', WithDecryption: true }));
    assert.equal(plain.Parameter?.Value, 'secret-jit');
    await ssm.send(new DeleteParameterCommand({ Name: '/p' }));
    const error = await rejection(ssm.send(new GetParameterCommand({ Name: '/p', WithDecryption: true })));
    assert.ok(error instanceof ParameterNotFound);
    assert.equal(error.name, 'ParameterNotFound');
  });

  it('refuses to overwrite a parameter without Overwrite', async () => {
    await ssm.send(new PutParameterCommand({ Name: '/q', Value: 'a', Type: 'String' }));
    const error = await rejection(
      ssm.send(new PutParameterCommand({ Name: '/q', Value: 'b', Type: 'String' })),
    );
    assert.equal(error.name, 'ParameterAlreadyExists');
  });

  describe('parameter tags', () => {
    const listTags = async (name: string) =>
      (await ssm.send(new ListTagsForResourceCommand({ ResourceType: 'Parameter', ResourceId: name })))
        .TagList;

    it('stores the Tags given on creation and keeps them across an overwrite', async () => {
      await ssm.send(
        new PutParameterCommand({ Name: '/t', Value: 'a', Type: 'String', Tags: [{ Key: 'k', Value: 'v' }] }),
      );
      await ssm.send(new PutParameterCommand({ Name: '/t', Value: 'b', Type: 'String', Overwrite: true }));
      assert.deepEqual(await listTags('/t'), [{ Key: 'k', Value: 'v' }]);
      assert.deepEqual(aws.parameterTags('/t'), { k: 'v' });
    });

    it('refuses Tags together with Overwrite with ValidationException, writing nothing', async () => {
      const error = await rejection(
        ssm.send(
          new PutParameterCommand({
            Name: '/t',
            Value: 'a',
            Type: 'String',
            Overwrite: true,
            Tags: [{ Key: 'k', Value: 'v' }],
          }),
        ),
      );
      assert.ok(error instanceof ValidationException);
      assert.match(error.message, /tags and overwrite can't be used together/);
      assert.deepEqual(aws.parameterNames(), []);
    });

    it('adds tags to an existing parameter and refuses a missing one with InvalidResourceId', async () => {
      await ssm.send(new PutParameterCommand({ Name: '/t', Value: 'a', Type: 'String' }));
      await ssm.send(
        new AddTagsToResourceCommand({
          ResourceType: 'Parameter',
          ResourceId: '/t',
          Tags: [{ Key: 'owner', Value: 'me' }],
        }),
      );
      assert.deepEqual(await listTags('/t'), [{ Key: 'owner', Value: 'me' }]);
      const error = await rejection(
        ssm.send(new AddTagsToResourceCommand({ ResourceType: 'Parameter', ResourceId: '/none', Tags: [] })),
      );
      assert.ok(error instanceof InvalidResourceId);
    });

    it('drops the tags with the parameter: a recreated one starts untagged', async () => {
      await ssm.send(
        new PutParameterCommand({ Name: '/t', Value: 'a', Type: 'String', Tags: [{ Key: 'k', Value: 'v' }] }),
      );
      await ssm.send(new DeleteParameterCommand({ Name: '/t' }));
      assert.equal(aws.parameterTags('/t'), undefined);
      await ssm.send(new PutParameterCommand({ Name: '/t', Value: 'a', Type: 'String' }));
      assert.deepEqual(await listTags('/t'), []);
    });
  });

  describe('instance policy on JIT parameters', () => {
    const put = (name: string, owner: string | undefined) =>
      ssm.send(
        new PutParameterCommand({
          Name: name,
          Value: 'jit',
          Type: 'SecureString',
          Tier: 'Advanced',
          Tags: owner === undefined ? undefined : [{ Key: 'harrier:instance-arn', Value: owner }],
        }),
      );
    const asInstance = (id: string) =>
      new SSMClient({ region: 'us-east-1', credentials: aws.instanceCredentials(id) });

    it('lets an instance read and delete the parameter tagged with its own ARN', async () => {
      await put('/harrier/demo/jit/i-1', aws.instanceArn('i-1'));
      const own = asInstance('i-1');
      const read = await own.send(
        new GetParameterCommand({ Name: '/harrier/demo/jit/i-1', WithDecryption: true }),
      );
      assert.equal(read.Parameter?.Value, 'jit');
      await own.send(new DeleteParameterCommand({ Name: '/harrier/demo/jit/i-1' }));
      assert.deepEqual(aws.parameterNames(), []);
    });

    it("denies an instance another instance's parameter, and an untagged one", async () => {
      await put('/harrier/demo/jit/i-1', aws.instanceArn('i-1'));
      await put('/harrier/demo/jit/i-3', undefined);
      const other = asInstance('i-2');
      const read = await rejection(
        other.send(new GetParameterCommand({ Name: '/harrier/demo/jit/i-1', WithDecryption: true })),
      );
      assert.ok(read instanceof AccessDeniedException);
      const remove = await rejection(
        other.send(new DeleteParameterCommand({ Name: '/harrier/demo/jit/i-1' })),
      );
      assert.ok(remove instanceof AccessDeniedException);
      const untagged = await rejection(
        asInstance('i-3').send(new GetParameterCommand({ Name: '/harrier/demo/jit/i-3' })),
      );
      assert.ok(untagged instanceof AccessDeniedException);
      assert.deepEqual(aws.parameterNames().sort(), ['/harrier/demo/jit/i-1', '/harrier/demo/jit/i-3']);
    });
  });

  it('returns a secret by ARN and ResourceNotFoundException for an unknown one', async () => {
    const arn = aws.createSecret('harrier/webhook', 's3cret');
    assert.equal((await secrets.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString, 's3cret');
    const error = await rejection(secrets.send(new GetSecretValueCommand({ SecretId: 'arn:nope' })));
    assert.equal(error.name, 'ResourceNotFoundException');
  });

  it('runs the boot hook after the bootstrap on first boot; powering off stops a pool instance', async () => {
    const boots: BootContext[] = [];
    aws.onBoot((boot) => boots.push(boot));
    const id = await launch({ 'harrier:launch': 'pool' });
    runFor(aws.timings.launchMs);
    assert.equal(boots.length, 0, 'the agent starts only after the bootstrap script');
    runFor(aws.timings.bootstrapMs);
    assert.equal(boots.length, 1);
    boots[0]!.powerOff();
    runFor(aws.timings.stopMs);
    assert.equal(aws.instance(id)?.state, 'stopped');
    assert.throws(() => boots[0]!.tag('harrier:launch'), { name: 'InstancePoweredOffError' });
  });

  it('terminates on power-off once the shutdown behaviour is terminate, and the agent starts at once on a restart', async () => {
    const boots: BootContext[] = [];
    aws.onBoot((boot) => boots.push(boot));
    const id = await launch();
    runFor(aws.timings.launchMs + aws.timings.bootstrapMs);
    boots[0]!.powerOff();
    runFor(aws.timings.stopMs);
    await ec2.send(
      new ModifyInstanceAttributeCommand({
        InstanceId: id,
        InstanceInitiatedShutdownBehavior: { Value: 'terminate' },
      }),
    );
    await ec2.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: 'harrier:jit', Value: 'g1' }] }));
    await ec2.send(new StartInstancesCommand({ InstanceIds: [id] }));
    runFor(aws.timings.startMs);
    assert.equal(boots.length, 2);
    assert.equal(boots[1]!.tag('harrier:jit'), 'g1');
    boots[1]!.powerOff();
    runFor(aws.timings.terminateMs);
    assert.equal(aws.instance(id)?.state, 'terminated');
  });

  it('fails loudly on an operation it does not model', async () => {
    const error = await rejection(
      ec2.send(new GetConsoleOutputCommand({ InstanceId: 'i-0123456789abcdef0' })),
    );
    assert.match(error.message, /not modelled/);
  });
});
