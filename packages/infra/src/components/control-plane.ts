import * as path from 'node:path';
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { FUNCTION_NAMES, LAMBDA_RUNTIME, type FunctionName } from '../constants';
import { dashboardBody } from '../dashboard';
import { assumeRolePolicy, functionPolicy, type ControlPlaneArns } from '../policies';

/** Per-function sizing: timeout in seconds, memory in MB. */
export const FUNCTION_SIZING: Record<FunctionName, { timeoutSeconds: number; memoryMb: number }> = {
  // GitHub gives a delivery 10 s; the handler does one SQS send.
  webhook: { timeoutSeconds: 10, memoryMb: 256 },
  'scale-up': { timeoutSeconds: 60, memoryMb: 256 },
  lifecycle: { timeoutSeconds: 30, memoryMb: 256 },
  reconcile: { timeoutSeconds: 120, memoryMb: 256 },
};

/** SQS wants a consumer's visibility timeout at 6x its function timeout (Lambda event source docs). */
const VISIBILITY_FACTOR = 6;
/** Attempts before a job event lands in the dead-letter queue. */
const MAX_RECEIVE_COUNT = 5;
/** Dead letters are kept for SQS's maximum, 14 days, for an operator to look at. */
const DLQ_RETENTION_SECONDS = 14 * 24 * 60 * 60;

export interface ControlPlaneArgs {
  stack: string;
  partition: pulumi.Input<string>;
  region: pulumi.Input<string>;
  accountId: pulumi.Input<string>;
  /** Directory holding `<name>/index.mjs` for each function. @default packages/control-plane/dist */
  bundleDir: string;
  /** Lambda configuration other than the ARNs below (see packages/control-plane/src/config.ts). */
  environment: Record<string, pulumi.Input<string>>;
  githubCredentialSecretArn: pulumi.Input<string>;
  webhookSecretArn: pulumi.Input<string>;
  runnerRoleArn: pulumi.Input<string>;
  launchTemplateId: pulumi.Input<string>;
  launchTemplateVersion: pulumi.Input<string>;
  securityGroupId: pulumi.Input<string>;
  vpcId: pulumi.Input<string>;
  subnetIds: pulumi.Input<string>[];
  bucketName: pulumi.Input<string>;
  /** @default 14 */
  logRetentionDays?: number;
  /** Values whose change re-runs the deploy-time reconcile (pool refill). */
  refillTriggers?: Record<string, pulumi.Input<string>>;
  tags: Record<string, string>;
}

/**
 * The control plane: the state table, the FIFO job queue and its dead-letter queue, four Lambdas
 * with one least-privilege role each, the HTTP API in front of `webhook`, EventBridge rules for EC2
 * state changes and the reconcile schedule, a deploy-time reconcile that fills the pool, and the
 * dashboard.
 */
export class ControlPlane extends pulumi.ComponentResource {
  readonly table: aws.dynamodb.Table;
  readonly jobQueue: aws.sqs.Queue;
  readonly deadLetterQueue: aws.sqs.Queue;
  readonly functions: Record<FunctionName, aws.lambda.Function>;
  readonly roles: Record<FunctionName, aws.iam.Role>;
  readonly api: aws.apigatewayv2.Api;
  readonly webhookUrl: pulumi.Output<string>;
  readonly dashboard: aws.cloudwatch.Dashboard;
  readonly dashboardUrl: pulumi.Output<string>;

  constructor(name: string, args: ControlPlaneArgs, opts?: pulumi.ComponentResourceOptions) {
    super('harrier:control:ControlPlane', name, {}, opts);
    const parent = { parent: this };
    const tags = args.tags;

    // Mirrors tableDefinition() in packages/control-plane/src/state/records.ts.
    this.table = new aws.dynamodb.Table(
      `${name}-state`,
      {
        billingMode: 'PAY_PER_REQUEST',
        hashKey: 'pk',
        attributes: [
          { name: 'pk', type: 'S' },
          { name: 'stateKey', type: 'S' },
          { name: 'stateSince', type: 'N' },
        ],
        globalSecondaryIndexes: [
          { name: 'byState', hashKey: 'stateKey', rangeKey: 'stateSince', projectionType: 'ALL' },
        ],
        ttl: { attributeName: 'expiresAt', enabled: true },
        pointInTimeRecovery: { enabled: true },
        serverSideEncryption: { enabled: true },
        tags,
      },
      parent,
    );

    this.deadLetterQueue = new aws.sqs.Queue(
      `${name}-jobs-dlq`,
      {
        fifoQueue: true,
        name: `harrier-${args.stack}-jobs-dlq.fifo`,
        messageRetentionSeconds: DLQ_RETENTION_SECONDS,
        sqsManagedSseEnabled: true,
        tags,
      },
      parent,
    );
    this.jobQueue = new aws.sqs.Queue(
      `${name}-jobs`,
      {
        // FIFO: one job's events stay in order (group = job id), duplicates dropped (dedup = delivery id).
        fifoQueue: true,
        name: `harrier-${args.stack}-jobs.fifo`,
        deduplicationScope: 'messageGroup',
        fifoThroughputLimit: 'perMessageGroupId',
        visibilityTimeoutSeconds: FUNCTION_SIZING['scale-up'].timeoutSeconds * VISIBILITY_FACTOR,
        sqsManagedSseEnabled: true,
        redrivePolicy: this.deadLetterQueue.arn.apply((deadLetterTargetArn) =>
          JSON.stringify({ deadLetterTargetArn, maxReceiveCount: MAX_RECEIVE_COUNT }),
        ),
        tags,
      },
      parent,
    );

    const securityGroupArn = pulumi.interpolate`arn:${args.partition}:ec2:${args.region}:${args.accountId}:security-group/${args.securityGroupId}`;
    const launchTemplateArn = pulumi.interpolate`arn:${args.partition}:ec2:${args.region}:${args.accountId}:launch-template/${args.launchTemplateId}`;
    const vpcArn = pulumi.interpolate`arn:${args.partition}:ec2:${args.region}:${args.accountId}:vpc/${args.vpcId}`;

    const environment: Record<string, pulumi.Input<string>> = {
      ...args.environment,
      HARRIER_STACK_ID: args.stack,
      TABLE_NAME: this.table.name,
      JOB_QUEUE_URL: this.jobQueue.url,
      LAUNCH_TEMPLATE_ID: args.launchTemplateId,
      LAUNCH_TEMPLATE_VERSION: args.launchTemplateVersion,
      SUBNET_IDS: pulumi.all(args.subnetIds).apply((ids) => ids.join(',')),
      GITHUB_CREDENTIAL_SECRET_ARN: args.githubCredentialSecretArn,
      WEBHOOK_SECRET_ARN: args.webhookSecretArn,
      // Powertools: JSON logs at info, metrics under one namespace.
      POWERTOOLS_LOG_LEVEL: 'INFO',
      POWERTOOLS_METRICS_NAMESPACE: 'Harrier',
    };

    const functions = {} as Record<FunctionName, aws.lambda.Function>;
    const roles = {} as Record<FunctionName, aws.iam.Role>;
    for (const fn of FUNCTION_NAMES) {
      const functionName = `harrier-${args.stack}-${fn}`;
      const logGroup = new aws.cloudwatch.LogGroup(
        `${name}-${fn}`,
        { name: `/aws/lambda/${functionName}`, retentionInDays: args.logRetentionDays ?? 14, tags },
        parent,
      );
      const role = new aws.iam.Role(
        `${name}-${fn}`,
        {
          assumeRolePolicy: JSON.stringify(assumeRolePolicy('lambda.amazonaws.com')),
          description: `Harrier ${fn}: only what this function calls`,
          tags,
        },
        parent,
      );
      const policy = new aws.iam.RolePolicy(
        `${name}-${fn}`,
        {
          role: role.id,
          policy: pulumi
            .all({
              partition: args.partition,
              region: args.region,
              accountId: args.accountId,
              tableArn: this.table.arn,
              jobQueueArn: this.jobQueue.arn,
              githubCredentialSecretArn: args.githubCredentialSecretArn,
              webhookSecretArn: args.webhookSecretArn,
              runnerRoleArn: args.runnerRoleArn,
              launchTemplateArn,
              securityGroupArn,
              vpcArn,
              logGroupArn: logGroup.arn,
            })
            .apply((arns) =>
              JSON.stringify(
                functionPolicy(fn, { ...(arns as Omit<ControlPlaneArns, 'stack'>), stack: args.stack }),
              ),
            ),
        },
        parent,
      );
      roles[fn] = role;
      functions[fn] = new aws.lambda.Function(
        `${name}-${fn}`,
        {
          name: functionName,
          role: role.arn,
          runtime: LAMBDA_RUNTIME,
          handler: 'index.handler',
          // The committed esbuild bundle, one directory per function: no closure serialization.
          code: new pulumi.asset.FileArchive(path.join(args.bundleDir, fn)),
          architectures: ['arm64'],
          timeout: FUNCTION_SIZING[fn].timeoutSeconds,
          memorySize: FUNCTION_SIZING[fn].memoryMb,
          environment: { variables: environment },
          loggingConfig: { logFormat: 'JSON', logGroup: logGroup.name },
          tags,
        },
        { parent: this, dependsOn: [logGroup, policy] },
      );
    }
    this.functions = functions;
    this.roles = roles;

    new aws.lambda.EventSourceMapping(
      `${name}-jobs`,
      {
        eventSourceArn: this.jobQueue.arn,
        functionName: functions['scale-up'].arn,
        batchSize: 10,
        // Only the failed messages of a batch come back (the handler returns batchItemFailures).
        functionResponseTypes: ['ReportBatchItemFailures'],
        tags,
      },
      parent,
    );

    this.api = new aws.apigatewayv2.Api(
      `${name}-api`,
      { protocolType: 'HTTP', description: 'Harrier: GitHub webhook deliveries', tags },
      parent,
    );
    const integration = new aws.apigatewayv2.Integration(
      `${name}-webhook`,
      {
        apiId: this.api.id,
        integrationType: 'AWS_PROXY',
        integrationUri: functions.webhook.arn,
        payloadFormatVersion: '2.0',
        timeoutMilliseconds: 10_000,
      },
      parent,
    );
    new aws.apigatewayv2.Route(
      `${name}-webhook`,
      {
        apiId: this.api.id,
        routeKey: 'POST /webhook',
        target: pulumi.interpolate`integrations/${integration.id}`,
      },
      parent,
    );
    const stage = new aws.apigatewayv2.Stage(
      `${name}-default`,
      {
        apiId: this.api.id,
        name: '$default',
        autoDeploy: true,
        // Forged floods are cut off here before they cost Lambda time.
        defaultRouteSettings: { throttlingBurstLimit: 200, throttlingRateLimit: 100 },
        tags,
      },
      parent,
    );
    new aws.lambda.Permission(
      `${name}-webhook-from-api`,
      {
        action: 'lambda:InvokeFunction',
        function: functions.webhook.name,
        principal: 'apigateway.amazonaws.com',
        sourceArn: pulumi.interpolate`${this.api.executionArn}/*/POST/webhook`,
      },
      parent,
    );
    this.webhookUrl = pulumi.interpolate`${stage.invokeUrl}webhook`.apply((url) =>
      url.replace(/([^:]\/)\/+/g, '$1'),
    );

    // State-change events carry no tags: the rule sees the account's instances, the handler ignores
    // the ones without a record.
    const stateRule = new aws.cloudwatch.EventRule(
      `${name}-ec2-state`,
      {
        description: 'Harrier: EC2 instance stopped/terminated',
        eventPattern: JSON.stringify({
          source: ['aws.ec2'],
          'detail-type': ['EC2 Instance State-change Notification'],
          detail: { state: ['stopped', 'terminated'] },
        }),
        tags,
      },
      parent,
    );
    this.target(name, 'ec2-state', stateRule, functions.lifecycle);

    const schedule = new aws.cloudwatch.EventRule(
      `${name}-reconcile`,
      { description: 'Harrier: reconcile every minute', scheduleExpression: 'rate(1 minute)', tags },
      parent,
    );
    this.target(name, 'reconcile', schedule, functions.reconcile);

    // Fill the pool at deploy time instead of waiting for the first scheduled minute.
    new aws.lambda.Invocation(
      `${name}-fill-pool`,
      {
        functionName: functions.reconcile.name,
        input: JSON.stringify({ source: 'harrier.deploy', 'detail-type': 'Deploy' }),
        triggers: args.refillTriggers ?? {},
      },
      { parent: this, dependsOn: Object.values(functions) },
    );

    this.dashboard = new aws.cloudwatch.Dashboard(
      `${name}-dashboard`,
      {
        dashboardName: `harrier-${args.stack}`,
        dashboardBody: pulumi
          .all([args.region, args.bucketName, this.deadLetterQueue.name])
          .apply(([region, bucketName, deadLetterQueueName]) =>
            dashboardBody({
              region,
              bucketName,
              deadLetterQueueName,
              functionNames: FUNCTION_NAMES.map((fn) => `harrier-${args.stack}-${fn}`),
            }),
          ),
      },
      parent,
    );
    this.dashboardUrl = pulumi.interpolate`https://${args.region}.console.aws.amazon.com/cloudwatch/home?region=${args.region}#dashboards:name=${this.dashboard.dashboardName}`;

    this.registerOutputs({ webhookUrl: this.webhookUrl, dashboardUrl: this.dashboardUrl });
  }

  private target(
    name: string,
    suffix: string,
    rule: aws.cloudwatch.EventRule,
    fn: aws.lambda.Function,
  ): void {
    new aws.cloudwatch.EventTarget(`${name}-${suffix}`, { rule: rule.name, arn: fn.arn }, { parent: this });
    new aws.lambda.Permission(
      `${name}-${suffix}-from-events`,
      {
        action: 'lambda:InvokeFunction',
        function: fn.name,
        principal: 'events.amazonaws.com',
        sourceArn: rule.arn,
      },
      { parent: this },
    );
  }
}
