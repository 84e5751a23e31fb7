/**
 * IAM policy documents, as pure functions of plain ARNs so every statement is tested directly.
 * The runner instance policy is the security boundary of a job: it must not let one job read another
 * machine's JIT config, replace the agent other machines run, or touch anything but the cache.
 */
import { CACHE_PREFIXES, TAG, jitParameterPrefix, type FunctionName } from './constants';

export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow' | 'Deny';
  /** Only in trust and resource policies. */
  Principal?: '*' | { Service: string };
  Action: string[];
  /** Absent only in a trust policy. */
  Resource?: string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

export interface AccountContext {
  partition: string;
  region: string;
  accountId: string;
  stack: string;
}

const doc = (statements: PolicyStatement[]): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: statements,
});

/** Tag key on a JIT parameter naming the one instance that may read it (attribute-based access). */
export const JIT_PARAMETER_OWNER_TAG = 'harrier:instance-arn';

export function jitParameterArnPattern(ctx: AccountContext, instance = '*'): string {
  // A parameter ARN drops the name's leading slash: parameter/harrier/<stack>/jit/<id>.
  return `arn:${ctx.partition}:ssm:${ctx.region}:${ctx.accountId}:parameter${jitParameterPrefix(ctx.stack)}${instance}`;
}

export function instanceArnPattern(ctx: AccountContext, instance = '*'): string {
  return `arn:${ctx.partition}:ec2:${ctx.region}:${ctx.accountId}:instance/${instance}`;
}

export interface RunnerPolicyInput extends AccountContext {
  bucketArn: string;
}

/**
 * The runner instance role's only policy. Not AmazonSSMManagedInstanceCore: it grants
 * `ssm:GetParameter(s)` on every parameter, which would let any job read every runner's config.
 */
export function runnerInstancePolicy(input: RunnerPolicyInput): PolicyDocument {
  const ownInstanceArn = instanceArnPattern(input, '${ec2:InstanceID}');
  return doc([
    {
      // Mountpoint lists directories (ListObjectsV2 with a delimiter) from the bucket root down.
      Sid: 'ListCacheBucket',
      Effect: 'Allow',
      Action: ['s3:ListBucket'],
      Resource: [input.bucketArn],
    },
    {
      // Everything in the bucket is either a shared cache entry or the agent, both readable by every job
      // anyway; reading the whole bucket keeps Mountpoint's HeadObject lookups of top-level names working.
      Sid: 'ReadCacheAndAgent',
      Effect: 'Allow',
      Action: ['s3:GetObject'],
      Resource: [`${input.bucketArn}/*`],
    },
    {
      // Writes only under the cache prefixes: nothing under harrier/, so a job cannot replace the
      // agent that the next machines install.
      Sid: 'WriteCachePrefixes',
      Effect: 'Allow',
      Action: ['s3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
      Resource: CACHE_PREFIXES.map((prefix) => `${input.bucketArn}/${prefix}*`),
    },
    {
      // The parameter tagged with this very instance's ARN (set by scale-up when it writes it).
      // ec2:SourceInstanceARN is present only on requests signed with this instance's role credentials.
      Sid: 'TakeOwnJitParameterByTag',
      Effect: 'Allow',
      Action: ['ssm:GetParameter', 'ssm:DeleteParameter'],
      Resource: [jitParameterArnPattern(input, 'i-*')],
      Condition: {
        StringEquals: { [`ssm:resourceTag/${JIT_PARAMETER_OWNER_TAG}`]: '${ec2:SourceInstanceARN}' },
      },
    },
    {
      // Same grant expressed by name. If the variable does not resolve for an SSM request the statement
      // simply never matches (IAM treats an unresolved variable as a failed match), so it cannot widen access.
      Sid: 'TakeOwnJitParameterByName',
      Effect: 'Allow',
      Action: ['ssm:GetParameter', 'ssm:DeleteParameter'],
      Resource: [jitParameterArnPattern(input, '${ec2:InstanceID}')],
      Condition: { ArnEquals: { 'ec2:SourceInstanceARN': ownInstanceArn } },
    },
    {
      // SecureString reads go through KMS; only via SSM and only for this stack's JIT parameters.
      Sid: 'DecryptJitParameterViaSsm',
      Effect: 'Allow',
      Action: ['kms:Decrypt'],
      Resource: [`arn:${input.partition}:kms:${input.region}:${input.accountId}:key/*`],
      Condition: {
        StringEquals: { 'kms:ViaService': `ssm.${input.region}.amazonaws.com` },
        StringLike: { 'kms:EncryptionContext:PARAMETER_ARN': jitParameterArnPattern(input, 'i-*') },
      },
    },
    {
      // Tag only itself, only with harrier:bootstrap=ok: the report that turns provisioning into warm.
      Sid: 'ReportOwnBootstrap',
      Effect: 'Allow',
      Action: ['ec2:CreateTags'],
      Resource: [instanceArnPattern(input)],
      Condition: {
        ArnEquals: { 'ec2:SourceInstanceARN': ownInstanceArn },
        'ForAllValues:StringEquals': { 'aws:TagKeys': [TAG.bootstrap] },
        StringEquals: { [`aws:RequestTag/${TAG.bootstrap}`]: 'ok' },
      },
    },
  ]);
}

/** Every ARN a control-plane function may be granted. */
export interface ControlPlaneArns extends AccountContext {
  tableArn: string;
  jobQueueArn: string;
  githubCredentialSecretArn: string;
  webhookSecretArn: string;
  runnerRoleArn: string;
  launchTemplateArn: string;
  securityGroupArn: string;
  vpcArn: string;
  logGroupArn: string;
}

/** Which permission groups each function uses; the single source for roles and for the tests. */
export const FUNCTION_PERMISSIONS: Record<FunctionName, readonly PermissionGroup[]> = {
  // Verify the signature, enqueue. Nothing else, so a flood of forged requests can do nothing else.
  webhook: ['readWebhookSecret', 'enqueueJobs'],
  // Consumes the job queue (queued, in_progress, completed: one consumer keeps one job's events in order).
  'scale-up': [
    'consumeJobs',
    'state',
    'readGitHubCredential',
    'writeJitParameters',
    'launchRunners',
    'manageOwnedInstances',
    'describeInstances',
  ],
  // EC2 state changes: provisioning -> warm, clean-up on terminated, replenish the pool.
  lifecycle: ['state', 'writeJitParameters', 'launchRunners', 'manageOwnedInstances', 'describeInstances'],
  // Pool level, expiry, orphan sweep, stale registrations, re-drive of jobs GitHub still shows queued.
  reconcile: [
    'state',
    'readGitHubCredential',
    'writeJitParameters',
    'launchRunners',
    'manageOwnedInstances',
    'describeInstances',
    'enqueueJobs',
  ],
};

export type PermissionGroup =
  | 'readWebhookSecret'
  | 'readGitHubCredential'
  | 'enqueueJobs'
  | 'consumeJobs'
  | 'state'
  | 'writeJitParameters'
  | 'launchRunners'
  | 'manageOwnedInstances'
  | 'describeInstances';

function groupStatements(group: PermissionGroup, a: ControlPlaneArns): PolicyStatement[] {
  const ec2 = (type: string, id = '*'): string =>
    `arn:${a.partition}:ec2:${a.region}:${a.accountId}:${type}/${id}`;
  switch (group) {
    case 'readWebhookSecret':
      return [
        {
          Sid: 'ReadWebhookSecret',
          Effect: 'Allow',
          Action: ['secretsmanager:GetSecretValue'],
          Resource: [a.webhookSecretArn],
        },
      ];
    case 'readGitHubCredential':
      return [
        {
          Sid: 'ReadGitHubCredential',
          Effect: 'Allow',
          Action: ['secretsmanager:GetSecretValue'],
          Resource: [a.githubCredentialSecretArn],
        },
      ];
    case 'enqueueJobs':
      return [
        { Sid: 'EnqueueJobs', Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [a.jobQueueArn] },
      ];
    case 'consumeJobs':
      return [
        {
          Sid: 'ConsumeJobs',
          Effect: 'Allow',
          Action: [
            'sqs:ReceiveMessage',
            'sqs:DeleteMessage',
            'sqs:GetQueueAttributes',
            'sqs:ChangeMessageVisibility',
          ],
          Resource: [a.jobQueueArn],
        },
      ];
    case 'state':
      return [
        {
          Sid: 'State',
          Effect: 'Allow',
          Action: [
            'dynamodb:GetItem',
            'dynamodb:PutItem',
            'dynamodb:UpdateItem',
            'dynamodb:DeleteItem',
            'dynamodb:Query',
          ],
          Resource: [a.tableArn, `${a.tableArn}/index/*`],
        },
      ];
    case 'writeJitParameters':
      return [
        {
          Sid: 'WriteJitParameters',
          Effect: 'Allow',
          Action: ['ssm:PutParameter', 'ssm:DeleteParameter', 'ssm:AddTagsToResource'],
          Resource: [jitParameterArnPattern(a, 'i-*')],
        },
        {
          Sid: 'EncryptJitParameters',
          Effect: 'Allow',
          Action: ['kms:Encrypt', 'kms:GenerateDataKey'],
          Resource: [`arn:${a.partition}:kms:${a.region}:${a.accountId}:key/*`],
          Condition: {
            StringEquals: { 'kms:ViaService': `ssm.${a.region}.amazonaws.com` },
            StringLike: { 'kms:EncryptionContext:PARAMETER_ARN': jitParameterArnPattern(a, 'i-*') },
          },
        },
      ];
    case 'launchRunners':
      return [
        {
          Sid: 'LaunchFromTemplate',
          Effect: 'Allow',
          Action: ['ec2:RunInstances'],
          Resource: [
            a.launchTemplateArn,
            a.securityGroupArn,
            ec2('subnet'),
            ec2('network-interface'),
            `arn:${a.partition}:ec2:${a.region}::image/*`,
          ],
        },
        {
          // Every instance and volume must carry this stack's tag from birth: the ownership filter.
          Sid: 'LaunchTaggedInstances',
          Effect: 'Allow',
          Action: ['ec2:RunInstances'],
          Resource: [ec2('instance'), ec2('volume')],
          Condition: { StringEquals: { [`aws:RequestTag/${TAG.stack}`]: a.stack } },
        },
        {
          Sid: 'TagAtLaunch',
          Effect: 'Allow',
          Action: ['ec2:CreateTags'],
          Resource: [ec2('instance'), ec2('volume')],
          Condition: { StringEquals: { 'ec2:CreateAction': 'RunInstances' } },
        },
        {
          Sid: 'PassRunnerRole',
          Effect: 'Allow',
          Action: ['iam:PassRole'],
          Resource: [a.runnerRoleArn],
          Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
        },
      ];
    case 'manageOwnedInstances':
      return [
        {
          // Only instances this stack launched (tag set at launch, see LaunchTaggedInstances).
          Sid: 'ManageOwnedInstances',
          Effect: 'Allow',
          Action: [
            'ec2:StartInstances',
            'ec2:TerminateInstances',
            'ec2:ModifyInstanceAttribute',
            'ec2:CreateTags',
          ],
          Resource: [ec2('instance')],
          Condition: { StringEquals: { [`aws:ResourceTag/${TAG.stack}`]: a.stack } },
        },
      ];
    case 'describeInstances':
      // Describe calls support no resource-level permissions: the action list is what is narrow.
      return [
        {
          Sid: 'DescribeInstances',
          Effect: 'Allow',
          Action: ['ec2:DescribeInstances', 'ec2:DescribeTags'],
          Resource: ['*'],
        },
      ];
  }
}

/** The policy of one control-plane function: its log group plus the groups it uses, nothing else. */
export function functionPolicy(name: FunctionName, arns: ControlPlaneArns): PolicyDocument {
  return doc([
    {
      Sid: 'WriteOwnLogs',
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: [`${arns.logGroupArn}:*`],
    },
    ...FUNCTION_PERMISSIONS[name].flatMap((group) => groupStatements(group, arns)),
  ]);
}

/** Who may assume a role. */
export function assumeRolePolicy(service: 'ec2.amazonaws.com' | 'lambda.amazonaws.com'): PolicyDocument {
  return doc([
    { Sid: 'AssumeRole', Effect: 'Allow', Principal: { Service: service }, Action: ['sts:AssumeRole'] },
  ]);
}

/** Bucket policy: refuse any request that is not over TLS (aws:SecureTransport). */
export function tlsOnlyBucketPolicy(bucketArn: string): PolicyDocument {
  return doc([
    {
      Sid: 'DenyInsecureTransport',
      Effect: 'Deny',
      Principal: '*',
      Action: ['s3:*'],
      Resource: [bucketArn, `${bucketArn}/*`],
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    },
  ]);
}
