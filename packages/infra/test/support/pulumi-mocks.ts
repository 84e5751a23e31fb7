/* eslint-disable @typescript-eslint/no-explicit-any -- provider inputs are untyped JSON whose shape each test asserts */
/**
 * Pulumi mocks for the whole program: every resource and call is recorded, any call or resource
 * type this file does not know throws (so a new dependency is a deliberate test change).
 */
import * as pulumi from '@pulumi/pulumi';

export interface RecordedResource {
  type: string;
  name: string;
  inputs: Record<string, any>;
}

/** What the engine would record for a registration: its URN, parent and explicit dependencies. */
export interface Registration {
  type: string;
  name: string;
  urn: string;
  parent: string;
  dependencies: string[];
}

export interface MockEnvironment {
  region: string;
  accountId: string;
  resources: RecordedResource[];
  /** Everything the mocks refused; settle() fails the test with them instead of hanging. */
  errors: Error[];
  calls: { token: string; inputs: any }[];
  /** Every registration as the resource monitor saw it (the engine orders deletes by these). */
  registrations: Registration[];
  ofType(type: string): RecordedResource[];
  one(type: string, name?: string): RecordedResource;
}

/** Known resource types and the outputs their provider would compute. */
const OUTPUTS: Record<
  string,
  (r: { name: string; inputs: any }, env: { region: string; accountId: string }) => Record<string, unknown>
> = {
  'aws:ec2/vpc:Vpc': () => ({}),
  'aws:ec2/defaultSecurityGroup:DefaultSecurityGroup': () => ({}),
  'aws:ec2/internetGateway:InternetGateway': () => ({}),
  'aws:ec2/routeTable:RouteTable': () => ({}),
  'aws:ec2/route:Route': () => ({}),
  'aws:ec2/subnet:Subnet': () => ({}),
  'aws:ec2/routeTableAssociation:RouteTableAssociation': () => ({}),
  'aws:ec2/securityGroup:SecurityGroup': () => ({}),
  'aws:s3/bucket:Bucket': (r) => ({
    bucket: `${r.inputs.bucketPrefix}20261203abcdef`,
    arn: `arn:aws:s3:::${r.inputs.bucketPrefix}20261203abcdef`,
  }),
  'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock': () => ({}),
  'aws:s3/bucketOwnershipControls:BucketOwnershipControls': () => ({}),
  'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration': () => ({}),
  'aws:s3/bucketPolicy:BucketPolicy': () => ({}),
  'aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration': () => ({}),
  'aws:s3/bucketObjectv2:BucketObjectv2': () => ({}),
  'aws:iam/role:Role': (r, e) => ({ arn: `arn:aws:iam::${e.accountId}:role/${r.name}`, name: r.name }),
  'aws:iam/rolePolicy:RolePolicy': () => ({}),
  'aws:iam/instanceProfile:InstanceProfile': (r, e) => ({
    arn: `arn:aws:iam::${e.accountId}:instance-profile/${r.name}`,
  }),
  'aws:ec2/launchTemplate:LaunchTemplate': () => ({ latestVersion: 1 }),
  'aws:secretsmanager/secret:Secret': (r, e) => ({
    arn: `arn:aws:secretsmanager:${e.region}:${e.accountId}:secret:${r.name}-AbCdEf`,
  }),
  'aws:secretsmanager/secretVersion:SecretVersion': () => ({}),
  'random:index/randomPassword:RandomPassword': () => ({ result: MOCK_WEBHOOK_SECRET }),
  'aws:dynamodb/table:Table': (r, e) => ({
    name: r.name,
    arn: `arn:aws:dynamodb:${e.region}:${e.accountId}:table/${r.name}`,
  }),
  'aws:sqs/queue:Queue': (r, e) => ({
    arn: `arn:aws:sqs:${e.region}:${e.accountId}:${r.inputs.name}`,
    url: `https://sqs.${e.region}.amazonaws.com/${e.accountId}/${r.inputs.name}`,
  }),
  'aws:cloudwatch/logGroup:LogGroup': (r, e) => ({
    arn: `arn:aws:logs:${e.region}:${e.accountId}:log-group:${r.inputs.name}`,
  }),
  'aws:lambda/function:Function': (r, e) => ({
    arn: `arn:aws:lambda:${e.region}:${e.accountId}:function:${r.inputs.name}`,
  }),
  'aws:lambda/eventSourceMapping:EventSourceMapping': () => ({}),
  'aws:apigatewayv2/api:Api': (_r, e) => ({
    executionArn: `arn:aws:execute-api:${e.region}:${e.accountId}:abc123`,
    apiEndpoint: `https://abc123.execute-api.${e.region}.amazonaws.com`,
  }),
  'aws:apigatewayv2/integration:Integration': () => ({}),
  'aws:apigatewayv2/route:Route': () => ({}),
  'aws:apigatewayv2/stage:Stage': (_r, e) => ({
    invokeUrl: `https://abc123.execute-api.${e.region}.amazonaws.com/`,
  }),
  'aws:lambda/permission:Permission': () => ({}),
  'aws:cloudwatch/eventRule:EventRule': (r, e) => ({
    arn: `arn:aws:events:${e.region}:${e.accountId}:rule/${r.name}`,
  }),
  'aws:cloudwatch/eventTarget:EventTarget': () => ({}),
  'aws:lambda/invocation:Invocation': () => ({ result: '{}' }),
  'aws:cloudwatch/dashboard:Dashboard': () => ({}),
  'pulumi-nodejs:dynamic/harrier:OrgWebhook': () => ({ hookId: 4242 }),
  'pulumi-nodejs:dynamic/harrier:FleetTeardown': () => ({}),
};

/** The value the mocked RandomPassword generates for the webhook secret. */
export const MOCK_WEBHOOK_SECRET = 'mock-webhook-secret-0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c';

export async function installMocks(options: { region: string; stack: string }): Promise<MockEnvironment> {
  const env: MockEnvironment = {
    region: options.region,
    accountId: '111122223333',
    resources: [],
    errors: [],
    calls: [],
    registrations: [],
    ofType: (type) => env.resources.filter((r) => r.type === type),
    one: (type, name) => {
      const found = env.resources.filter((r) => r.type === type && (name === undefined || r.name === name));
      if (found.length !== 1)
        throw new Error(`expected one ${type}${name ? ` named ${name}` : ''}, found ${found.length}`);
      return found[0]!;
    },
  };
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        // Harrier's own components have no provider behind them.
        const outputs = args.type.startsWith('harrier:') ? () => ({}) : OUTPUTS[args.type];
        if (outputs === undefined) {
          const error = new Error(`unmocked resource type ${args.type} (${args.name})`);
          env.errors.push(error);
          throw error;
        }
        env.resources.push({ type: args.type, name: args.name, inputs: args.inputs as Record<string, any> });
        const state = { ...args.inputs, ...outputs({ name: args.name, inputs: args.inputs }, env) };
        if (state.arn === undefined) state.arn = `arn:aws:mock:${env.region}:${env.accountId}:${args.name}`;
        if (state.name === undefined) state.name = args.name;
        return { id: `${args.name}-id`, state };
      },
      call(args) {
        env.calls.push({ token: args.token, inputs: args.inputs });
        switch (args.token) {
          case 'aws:index/getPartition:getPartition':
            return { partition: 'aws', dnsSuffix: 'amazonaws.com', id: 'aws' };
          case 'aws:index/getRegion:getRegion':
            return { region: env.region, name: env.region, id: env.region };
          case 'aws:index/getCallerIdentity:getCallerIdentity':
            return {
              accountId: env.accountId,
              arn: `arn:aws:iam::${env.accountId}:user/deployer`,
              userId: 'AIDA',
              id: env.accountId,
            };
          case 'aws:index/getAvailabilityZones:getAvailabilityZones':
            return {
              names: [`${env.region}a`, `${env.region}b`, `${env.region}c`],
              zoneIds: [],
              id: env.region,
            };
          case 'aws:ec2/getAmi:getAmi': {
            const arch = (args.inputs.filters as { name: string; values: string[] }[]).find(
              (f) => f.name === 'architecture',
            )?.values[0];
            return { id: `ami-${arch}-${env.region}`, rootDeviceName: '/dev/sda1', architecture: arch };
          }
          default: {
            const error = new Error(`unmocked call ${args.token}`);
            env.errors.push(error);
            throw error;
          }
        }
      },
    },
    'harrier',
    options.stack,
    false,
  );
  recordRegistrations(env);
  return env;
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getDependenciesList(): string[];
}
type RegisterCallback = (error: unknown, response?: { getUrn(): string }) => void;

/** Wraps the mock monitor's registerResource to keep what setMocks' newResource does not show. */
function recordRegistrations(env: MockEnvironment): void {
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource(request: RegisterRequest, callback: RegisterCallback): void;
  };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (request, callback) =>
    register(request, (error, response) => {
      if (response !== undefined)
        env.registrations.push({
          type: request.getType(),
          name: request.getName(),
          urn: response.getUrn(),
          parent: request.getParent(),
          dependencies: request.getDependenciesList(),
        });
      callback(error, response);
    });
}

/** Waits until the program has stopped registering resources (outputs resolve asynchronously). */
export async function settle(env: MockEnvironment): Promise<void> {
  let last = -1;
  let stable = 0;
  while (stable < 3) {
    if (env.errors.length > 0) throw new Error(env.errors.map((e) => e.message).join('; '));
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (env.resources.length === last) stable += 1;
    else {
      stable = 0;
      last = env.resources.length;
    }
  }
}

export const valueOf = <T>(output: pulumi.Output<T>): Promise<T> =>
  new Promise((resolve) => output.apply(resolve));
