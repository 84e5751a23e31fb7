/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return -- provider inputs are untyped JSON whose shape each test asserts */
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { parseConfig } from '../src/config';
import { FUNCTION_NAMES } from '../src/constants';
import type { PolicyDocument } from '../src/policies';
import { createHarrier, stackId, type HarrierOutputs } from '../src/program';
import { evaluate } from './support/iam-simulator';
import {
  MOCK_WEBHOOK_SECRET,
  installMocks,
  settle,
  valueOf,
  type MockEnvironment,
  type Registration,
} from './support/pulumi-mocks';

/** Resource types whose AWS API accepts tags: each must carry harrier:stack. */
const TAGGABLE = new Set([
  'aws:ec2/vpc:Vpc',
  'aws:ec2/defaultSecurityGroup:DefaultSecurityGroup',
  'aws:ec2/internetGateway:InternetGateway',
  'aws:ec2/routeTable:RouteTable',
  'aws:ec2/subnet:Subnet',
  'aws:ec2/securityGroup:SecurityGroup',
  'aws:s3/bucket:Bucket',
  'aws:s3/bucketObjectv2:BucketObjectv2',
  'aws:iam/role:Role',
  'aws:iam/instanceProfile:InstanceProfile',
  'aws:ec2/launchTemplate:LaunchTemplate',
  'aws:secretsmanager/secret:Secret',
  'aws:dynamodb/table:Table',
  'aws:sqs/queue:Queue',
  'aws:cloudwatch/logGroup:LogGroup',
  'aws:lambda/function:Function',
  'aws:lambda/eventSourceMapping:EventSourceMapping',
  'aws:apigatewayv2/api:Api',
  'aws:apigatewayv2/stage:Stage',
  'aws:cloudwatch/eventRule:EventRule',
]);

/** A stand-in for packages/control-plane/dist so the test runs before (or without) a build. */
function makeBundleDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'harrier-dist-'));
  for (const name of [...FUNCTION_NAMES, 'agent']) {
    mkdirSync(join(dir, name));
    writeFileSync(
      join(dir, name, 'index.mjs'),
      'export const handler = async () => ({ statusCode: 200 });\n',
    );
  }
  return dir;
}

const registration = (env: MockEnvironment, type: string): Registration => {
  const found = env.registrations.filter((r) => r.type === type);
  assert.equal(found.length, 1, type);
  return found[0]!;
};

const parsePolicy = (resource: { inputs: Record<string, any> }): PolicyDocument =>
  JSON.parse(resource.inputs.policy as string) as PolicyDocument;

const scenarios = [
  { region: 'us-east-1', architecture: 'x64' as const, instanceType: 'c7i.xlarge' },
  { region: 'eu-central-1', architecture: 'arm64' as const, instanceType: 'c7g.xlarge' },
];

for (const scenario of scenarios) {
  describe(`the Harrier stack in ${scenario.region} on ${scenario.architecture}`, () => {
    let env: MockEnvironment;
    let outputs: HarrierOutputs;
    let bundleDir: string;
    const stack = stackId(`Acme_Prod-${scenario.architecture}`);

    before(async () => {
      bundleDir = makeBundleDir();
      env = await installMocks({ region: scenario.region, stack });
      const config = parseConfig({
        values: {
          githubOrg: 'acme',
          architecture: scenario.architecture,
          instanceType: scenario.instanceType,
          reuseWindowMinutes: '10',
          pools: [
            {
              name: 'large',
              labels: ['large'],
              instanceType: scenario.architecture === 'x64' ? 'm7i.4xlarge' : 'm7g.4xlarge',
              fleetSize: 1,
            },
          ],
        },
        secretsPresent: new Set(['githubToken']),
      });
      outputs = createHarrier(
        config,
        { githubToken: pulumi.secret('ghp_mockTokenValue0123456789') },
        { stack, bundleDir },
      );
      await settle(env);
      await valueOf(outputs.webhookUrl);
    });
    after(() => rmSync(bundleDir, { recursive: true, force: true }));

    it('gives the runner security group no ingress rule at all, and only all-egress', () => {
      const group = env.one('aws:ec2/securityGroup:SecurityGroup');
      assert.deepEqual(group.inputs.ingress, []);
      assert.equal(group.inputs.egress.length, 1);
      assert.equal(env.ofType('aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule').length, 0);
      assert.equal(env.ofType('aws:ec2/securityGroupRule:SecurityGroupRule').length, 0);
      const defaultGroup = env.one('aws:ec2/defaultSecurityGroup:DefaultSecurityGroup');
      assert.deepEqual([defaultGroup.inputs.ingress, defaultGroup.inputs.egress], [[], []]);
    });

    it('puts two public subnets in two AZs, routed to the internet gateway', () => {
      const subnets = env.ofType('aws:ec2/subnet:Subnet');
      assert.equal(subnets.length, 2);
      assert.deepEqual(
        subnets.map((s) => s.inputs.availabilityZone),
        [`${scenario.region}a`, `${scenario.region}b`],
      );
      assert.deepEqual(
        subnets.map((s) => s.inputs.cidrBlock),
        ['10.72.0.0/17', '10.72.128.0/17'],
      );
      assert.equal(env.one('aws:ec2/route:Route').inputs.destinationCidrBlock, '0.0.0.0/0');
      assert.equal(env.ofType('aws:ec2/routeTableAssociation:RouteTableAssociation').length, 2);
    });

    it('blocks all public access to the cache bucket and refuses non-TLS requests', () => {
      const block = env.one('aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock');
      for (const key of ['blockPublicAcls', 'blockPublicPolicy', 'ignorePublicAcls', 'restrictPublicBuckets'])
        assert.equal(block.inputs[key], true, key);
      const policy = parsePolicy(env.one('aws:s3/bucketPolicy:BucketPolicy'));
      const bucketArn = `arn:aws:s3:::harrier-cache-20261203abcdef`;
      assert.equal(
        evaluate([policy], {
          action: 's3:GetObject',
          resource: `${bucketArn}/npm/x`,
          context: { 'aws:SecureTransport': 'false' },
        }),
        'explicit-deny',
      );
      const sse = env.one(
        'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration',
      );
      assert.equal(sse.inputs.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm, 'AES256');
    });

    it('expires cache entries after 30 days and aborts stale multipart uploads after 1 day', () => {
      const rules = env.one('aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration').inputs
        .rules as any[];
      assert.equal(
        rules.find((r) => r.abortIncompleteMultipartUpload)?.abortIncompleteMultipartUpload
          .daysAfterInitiation,
        1,
      );
      const expiring = rules.filter((r) => r.expiration);
      assert.deepEqual(expiring.map((r) => r.filter.and.prefix).sort(), [
        'custom/',
        'docker/',
        'node-modules/',
        'npm/',
      ]);
      assert.ok(expiring.every((r) => r.expiration.days === 30 && r.status === 'Enabled'));
    });

    it('creates the four cache prefixes', () => {
      const keys = env.ofType('aws:s3/bucketObjectv2:BucketObjectv2').map((o) => o.inputs.key as string);
      for (const prefix of ['node-modules/', 'npm/', 'docker/', 'custom/'])
        assert.ok(keys.includes(prefix), prefix);
    });

    it('requires IMDSv2 with hop limit 2 and metadata tags on every launch template', () => {
      const templates = env.ofType('aws:ec2/launchTemplate:LaunchTemplate');
      assert.equal(templates.length, 2);
      for (const template of templates)
        assert.deepEqual(template.inputs.metadataOptions, {
          httpEndpoint: 'enabled',
          httpTokens: 'required',
          httpPutResponseHopLimit: 2,
          instanceMetadataTags: 'enabled',
        });
    });

    it(`launches Ubuntu LTS for ${scenario.architecture} on an encrypted gp3 root`, () => {
      const ami = env.calls.find((c) => c.token === 'aws:ec2/getAmi:getAmi')!;
      const filters = Object.fromEntries((ami.inputs.filters as any[]).map((f) => [f.name, f.values[0]]));
      assert.equal(filters.architecture, scenario.architecture === 'x64' ? 'x86_64' : 'arm64');
      assert.match(
        filters.name,
        new RegExp(`ubuntu-noble-24.04-${scenario.architecture === 'x64' ? 'amd64' : 'arm64'}-server`),
      );
      assert.deepEqual(ami.inputs.owners, ['099720109477']);
      const template = env.one('aws:ec2/launchTemplate:LaunchTemplate', 'harrier-runners-default');
      assert.equal(template.inputs.imageId, `ami-${filters.architecture}-${scenario.region}`);
      assert.equal(template.inputs.instanceType, scenario.instanceType);
      assert.deepEqual(template.inputs.blockDeviceMappings[0].ebs, {
        volumeSize: 40,
        volumeType: 'gp3',
        encrypted: 'true',
        deleteOnTermination: 'true',
      });
    });

    it('renders the bootstrap for the region, the bucket and the architecture', () => {
      const template = env.one('aws:ec2/launchTemplate:LaunchTemplate', 'harrier-runners-default');
      const script = Buffer.from(template.inputs.userData as string, 'base64').toString('utf8');
      assert.ok(script.includes(`readonly CACHE_REGION='${scenario.region}'`));
      assert.ok(script.includes("readonly CACHE_BUCKET='harrier-cache-20261203abcdef'"));
      assert.ok(script.includes(`actions-runner-linux-${scenario.architecture}-`));
      assert.ok(script.includes("readonly REUSE_WINDOW_MINUTES='10'"));
    });

    it('uploads the agent bundle to the read-only harrier/ prefix before any template exists', async () => {
      const agent = env.one('aws:s3/bucketObjectv2:BucketObjectv2', 'harrier-runners-agent');
      assert.equal(agent.inputs.key, 'harrier/agent.mjs');
      assert.equal(await agent.inputs.source.path, join(bundleDir, 'agent', 'index.mjs'));
    });

    it('never grants * on *, in any policy', () => {
      const documents = [
        ...env.ofType('aws:iam/rolePolicy:RolePolicy').map(parsePolicy),
        parsePolicy(env.one('aws:s3/bucketPolicy:BucketPolicy')),
      ];
      assert.ok(documents.length >= 5);
      for (const document of documents)
        for (const statement of document.Statement) {
          const starAction = statement.Action.some((a) => a === '*' || a.endsWith(':*'));
          const starResource = (statement.Resource ?? []).includes('*');
          assert.ok(
            !(statement.Effect === 'Allow' && starAction),
            `${statement.Sid} allows a wildcard action`,
          );
          assert.ok(!(starAction && starResource), `${statement.Sid} is * on *`);
        }
    });

    it('attaches no managed policy to any role', () => {
      assert.equal(env.ofType('aws:iam/rolePolicyAttachment:RolePolicyAttachment').length, 0);
      for (const role of env.ofType('aws:iam/role:Role'))
        assert.equal(role.inputs.managedPolicyArns, undefined, role.name);
    });

    it("keeps the runner role away from secrets, the table and other instances' parameters", () => {
      const runner = parsePolicy(env.one('aws:iam/rolePolicy:RolePolicy', 'harrier-runners-policy'));
      const arn = (service: string, rest: string): string =>
        `arn:aws:${service}:${scenario.region}:${env.accountId}:${rest}`;
      const secretArns = env
        .ofType('aws:secretsmanager/secret:Secret')
        .map((s) => arn('secretsmanager', `secret:${s.name}-AbCdEf`));
      assert.equal(secretArns.length, 2);
      for (const secret of secretArns)
        assert.equal(
          evaluate([runner], { action: 'secretsmanager:GetSecretValue', resource: secret }),
          'implicit-deny',
        );
      const table = arn('dynamodb', 'table/harrier-state');
      for (const action of ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem'])
        assert.equal(evaluate([runner], { action, resource: table }), 'implicit-deny', action);
      const other = evaluate([runner], {
        action: 'ssm:GetParameter',
        resource: arn('ssm', `parameter/harrier/${stack}/jit/i-bbb`),
        context: {
          'ec2:SourceInstanceARN': arn('ec2', 'instance/i-aaa'),
          'ssm:resourceTag/harrier:instance-arn': arn('ec2', 'instance/i-bbb'),
        },
      });
      assert.equal(other, 'implicit-deny');
    });

    it('gives each function a role of its own that allows only what it uses', () => {
      const roles = env
        .ofType('aws:iam/role:Role')
        .filter((r) => r.name.startsWith('harrier-') && !r.name.startsWith('harrier-runners'));
      assert.equal(roles.length, 4);
      const functions = env.ofType('aws:lambda/function:Function');
      assert.equal(new Set(functions.map((f) => f.inputs.role as string)).size, 4);
      const webhook = parsePolicy(env.one('aws:iam/rolePolicy:RolePolicy', 'harrier-webhook'));
      assert.deepEqual([...new Set(webhook.Statement.flatMap((s) => s.Action))].sort(), [
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'secretsmanager:GetSecretValue',
        'sqs:SendMessage',
      ]);
      const webhookSecret = env
        .ofType('aws:secretsmanager/secret:Secret')
        .find((s) => s.name.includes('webhook'))!;
      const webhookSecretArn = `arn:aws:secretsmanager:${scenario.region}:${env.accountId}:secret:${webhookSecret.name}-AbCdEf`;
      for (const fn of ['scale-up', 'lifecycle', 'reconcile']) {
        const policy = parsePolicy(env.one('aws:iam/rolePolicy:RolePolicy', `harrier-${fn}`));
        assert.equal(
          evaluate([policy], { action: 'secretsmanager:GetSecretValue', resource: webhookSecretArn }),
          'implicit-deny',
          fn,
        );
      }
    });

    it('never puts the webhook secret in plain text in a resource input', async () => {
      const holders = env.resources.filter((r) => JSON.stringify(r.inputs).includes(MOCK_WEBHOOK_SECRET));
      // Only the Secrets Manager version and the GitHub hook receive it, and the program marks it secret.
      assert.deepEqual(holders.map((h) => h.type).sort(), [
        'aws:secretsmanager/secretVersion:SecretVersion',
        'pulumi-nodejs:dynamic/harrier:OrgWebhook',
      ]);
      assert.equal(await pulumi.isSecret(outputs.components.secrets.webhookSecretValue), true);
      for (const fn of env.ofType('aws:lambda/function:Function'))
        assert.ok(!JSON.stringify(fn.inputs).includes(MOCK_WEBHOOK_SECRET), fn.name);
    });

    it('never puts the GitHub token in a function, a template or a log group', () => {
      const leaks = env.resources.filter(
        (r) =>
          JSON.stringify(r.inputs).includes('ghp_mockTokenValue') &&
          r.type !== 'aws:secretsmanager/secretVersion:SecretVersion' &&
          r.type !== 'pulumi-nodejs:dynamic/harrier:OrgWebhook' &&
          r.type !== 'pulumi-nodejs:dynamic/harrier:FleetTeardown',
      );
      assert.deepEqual(
        leaks.map((r) => r.name),
        [],
      );
    });

    it('tags every taggable resource with the stack', () => {
      const taggable = env.resources.filter((r) => TAGGABLE.has(r.type));
      assert.ok(taggable.length > 30);
      for (const resource of taggable)
        assert.equal(resource.inputs.tags?.['harrier:stack'], stack, `${resource.type} ${resource.name}`);
      const template = env.one('aws:ec2/launchTemplate:LaunchTemplate', 'harrier-runners-default');
      for (const spec of template.inputs.tagSpecifications) assert.equal(spec.tags['harrier:stack'], stack);
    });

    it('deploys the four bundles on nodejs24.x from the bundle directory', async () => {
      const functions = env.ofType('aws:lambda/function:Function');
      assert.deepEqual(
        functions.map((f) => f.inputs.name).sort(),
        FUNCTION_NAMES.map((n) => `harrier-${stack}-${n}`).sort(),
      );
      for (const fn of functions) {
        assert.equal(fn.inputs.runtime, 'nodejs24.x');
        assert.equal(fn.inputs.handler, 'index.handler');
        assert.equal(
          await fn.inputs.code.path,
          join(bundleDir, (fn.inputs.name as string).replace(`harrier-${stack}-`, '')),
        );
      }
    });

    it('sets every variable the control plane requires, with secrets as ARNs only', async () => {
      const { ENV_VARS } = await import('@harrier/control-plane/src/config');
      const required = Object.entries(ENV_VARS as Record<string, string>)
        .filter(([, doc]) => doc.startsWith('required'))
        .map(([name]) => name);
      for (const fn of env.ofType('aws:lambda/function:Function')) {
        const variables = fn.inputs.environment.variables as Record<string, string>;
        for (const name of required) assert.ok(variables[name], `${fn.inputs.name} lacks ${name}`);
        for (const name of Object.keys(ENV_VARS))
          assert.ok(name in variables, `${fn.inputs.name} lacks ${name}`);
        assert.match(variables.GITHUB_CREDENTIAL_SECRET_ARN!, /^arn:aws:secretsmanager:/);
        assert.match(variables.WEBHOOK_SECRET_ARN!, /^arn:aws:secretsmanager:/);
        assert.match(variables.JOB_QUEUE_URL!, /\.fifo$/);
        assert.equal(variables.SUBNET_IDS!.split(',').length, 2);
      }
    });

    it('parses the deployed environment with the control plane’s own config parser', async () => {
      const { parseConfig: parseControlPlaneConfig } = await import('@harrier/control-plane/src/config');
      const fn = env.one('aws:lambda/function:Function', 'harrier-scale-up');
      const config = parseControlPlaneConfig(fn.inputs.environment.variables);
      assert.equal(config.stackId, stack);
      assert.equal(config.github.owner, 'acme');
      assert.equal(config.timing.reuseWindowMs, 10 * 60_000);
    });

    it('feeds the job queue to scale-up with partial batch failures and a dead-letter queue', () => {
      const mapping = env.one('aws:lambda/eventSourceMapping:EventSourceMapping');
      assert.deepEqual(mapping.inputs.functionResponseTypes, ['ReportBatchItemFailures']);
      assert.match(mapping.inputs.functionName, /scale-up$/);
      const queue = env.one('aws:sqs/queue:Queue', 'harrier-jobs');
      assert.equal(queue.inputs.fifoQueue, true);
      assert.match(JSON.parse(queue.inputs.redrivePolicy).deadLetterTargetArn, /jobs-dlq\.fifo$/);
    });

    it('keeps state in one table with TTL on and the byState index', () => {
      const table = env.one('aws:dynamodb/table:Table');
      assert.deepEqual(table.inputs.ttl, { attributeName: 'expiresAt', enabled: true });
      assert.equal(table.inputs.hashKey, 'pk');
      assert.equal(table.inputs.globalSecondaryIndexes[0].name, 'byState');
    });

    it('routes POST /webhook to the webhook function and returns its URL', async () => {
      assert.equal(env.one('aws:apigatewayv2/route:Route').inputs.routeKey, 'POST /webhook');
      assert.equal(env.one('aws:apigatewayv2/integration:Integration').inputs.payloadFormatVersion, '2.0');
      assert.equal(
        await valueOf(outputs.webhookUrl),
        `https://abc123.execute-api.${scenario.region}.amazonaws.com/webhook`,
      );
    });

    it('sends EC2 state changes to lifecycle and runs reconcile every minute and once at deploy', () => {
      const rules = env.ofType('aws:cloudwatch/eventRule:EventRule');
      const pattern = JSON.parse(rules.find((r) => r.inputs.eventPattern)!.inputs.eventPattern);
      assert.deepEqual(pattern['detail-type'], ['EC2 Instance State-change Notification']);
      assert.ok(rules.some((r) => r.inputs.scheduleExpression === 'rate(1 minute)'));
      const targets = env.ofType('aws:cloudwatch/eventTarget:EventTarget').map((t) => t.inputs.arn as string);
      assert.ok(targets.some((t) => t.endsWith('-lifecycle')));
      assert.ok(targets.some((t) => t.endsWith('-reconcile')));
      assert.equal(
        env.one('aws:lambda/invocation:Invocation').inputs.functionName,
        `harrier-${stack}-reconcile`,
      );
    });

    it('keeps function logs for the configured retention', () => {
      for (const group of env.ofType('aws:cloudwatch/logGroup:LogGroup'))
        assert.equal(group.inputs.retentionInDays, 14);
    });

    it('builds a dashboard with latency, pool level, cold launches, failures and bucket size', async () => {
      const body = JSON.parse(env.one('aws:cloudwatch/dashboard:Dashboard').inputs.dashboardBody);
      const text = JSON.stringify(body);
      for (const metric of [
        'QueuedToStartLatency',
        'PoolLevel',
        'ColdLaunches',
        'Failures',
        'BucketSizeBytes',
      ])
        assert.ok(text.includes(metric), metric);
      assert.match(
        await valueOf(outputs.dashboardUrl),
        new RegExp(`region=${scenario.region}#dashboards:name=harrier-${stack}`),
      );
    });

    it('creates the org webhook for workflow_job at the API URL, with secret token and secret', () => {
      const hook = env.one('pulumi-nodejs:dynamic/harrier:OrgWebhook');
      assert.deepEqual(hook.inputs.events, ['workflow_job']);
      assert.equal(hook.inputs.org, 'acme');
      assert.equal(hook.inputs.url, `https://abc123.execute-api.${scenario.region}.amazonaws.com/webhook`);
    });

    it('records the stack, the region and the JIT prefix in the fleet teardown', () => {
      const teardown = env.one('pulumi-nodejs:dynamic/harrier:FleetTeardown');
      assert.equal(teardown.inputs.stack, stack);
      assert.equal(teardown.inputs.region, scenario.region);
      assert.equal(teardown.inputs.jitPrefix, `/harrier/${stack}/jit/`);
      assert.ok(teardown.inputs.maxWaitSeconds <= 600, 'a bounded wait');
    });

    it('gives the teardown the org and the token, as a secret, to remove runner registrations', async () => {
      const teardown = env.one('pulumi-nodejs:dynamic/harrier:FleetTeardown');
      assert.equal(teardown.inputs.githubOrg, 'acme');
      assert.equal(teardown.inputs.githubApiUrl, 'https://api.github.com');
      // The engine receives it wrapped as a secret (the signature key Pulumi uses for secret values).
      assert.deepEqual(teardown.inputs.githubToken, {
        [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig,
        value: 'ghp_mockTokenValue0123456789',
      });
      assert.equal(await pulumi.isSecret(outputs.components.teardown.githubToken), true);
    });

    it('deletes the fleet teardown before the network, the launch templates and the bucket', () => {
      const teardown = registration(env, 'pulumi-nodejs:dynamic/harrier:FleetTeardown');
      const mustOutlive = [
        'aws:ec2/vpc:Vpc',
        'aws:ec2/subnet:Subnet',
        'aws:ec2/securityGroup:SecurityGroup',
        'aws:ec2/internetGateway:InternetGateway',
        'aws:ec2/launchTemplate:LaunchTemplate',
        'aws:iam/instanceProfile:InstanceProfile',
        'aws:s3/bucket:Bucket',
      ];
      for (const type of mustOutlive) {
        const resources = env.registrations.filter((r) => r.type === type);
        assert.ok(resources.length > 0, type);
        for (const resource of resources)
          assert.ok(teardown.dependencies.includes(resource.urn), `teardown depends on ${resource.name}`);
      }
      assert.equal(
        env.registrations.filter((r) => r.type === 'aws:ec2/launchTemplate:LaunchTemplate').length,
        2,
      );
    });

    it('deletes every Lambda, the reconcile schedule and every trigger before the teardown runs', () => {
      const teardown = registration(env, 'pulumi-nodejs:dynamic/harrier:FleetTeardown');
      const controlPlane = registration(env, 'harrier:control:ControlPlane');
      const children = env.registrations.filter((r) => r.parent === controlPlane.urn);
      const types = new Set(children.map((r) => r.type));
      for (const type of [
        'aws:lambda/function:Function',
        'aws:cloudwatch/eventRule:EventRule',
        'aws:cloudwatch/eventTarget:EventTarget',
        'aws:lambda/eventSourceMapping:EventSourceMapping',
        'aws:lambda/invocation:Invocation',
        'aws:apigatewayv2/api:Api',
      ])
        assert.ok(types.has(type), type);
      for (const child of [controlPlane, ...children])
        assert.ok(child.dependencies.includes(teardown.urn), `${child.name} depends on the teardown`);
      const schedule = children.find((r) => r.name === 'harrier-reconcile' && r.type.includes('eventRule'));
      assert.ok(schedule?.dependencies.includes(teardown.urn));
    });

    it('keeps the teardown independent of the control plane (no cycle, no extra role)', () => {
      const teardown = registration(env, 'pulumi-nodejs:dynamic/harrier:FleetTeardown');
      const controlPlaneUrns = new Set(
        env.registrations.filter((r) => r.urn.includes('harrier:control:ControlPlane')).map((r) => r.urn),
      );
      assert.deepEqual(
        teardown.dependencies.filter((urn) => controlPlaneUrns.has(urn)),
        [],
      );
      const teardownInputs = JSON.stringify(env.one('pulumi-nodejs:dynamic/harrier:FleetTeardown').inputs);
      assert.doesNotMatch(teardownInputs, /arn:aws:iam|AKIA|aws_secret/i);
      assert.equal(env.ofType('aws:iam/role:Role').filter((r) => r.name.includes('teardown')).length, 0);
    });

    it('outputs the runs-on labels of every pool', () => {
      assert.deepEqual(outputs.runsOnLabels, {
        default: ['self-hosted', 'linux', scenario.architecture],
        large: ['self-hosted', 'large'],
      });
    });
  });
}

describe('stack id', () => {
  it('lower-cases and dashes a Pulumi stack name and keeps it short enough for Lambda names', () => {
    assert.equal(stackId('Acme_Prod'), 'acme-prod');
    assert.equal(stackId('x'.repeat(80)).length, 40);
    assert.equal(stackId('___'), 'default');
  });
});
