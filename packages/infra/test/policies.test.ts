import assert from 'node:assert/strict';
import {
  FUNCTION_PERMISSIONS,
  JIT_PARAMETER_OWNER_TAG,
  functionPolicy,
  runnerInstancePolicy,
  tlsOnlyBucketPolicy,
  type ControlPlaneArns,
  type PolicyDocument,
} from '../src/policies';
import { FUNCTION_NAMES } from '../src/constants';
import { evaluate, type SimulatedRequest } from './support/iam-simulator';

const ctx = { partition: 'aws', region: 'eu-west-1', accountId: '111122223333', stack: 'acme' };
const bucketArn = 'arn:aws:s3:::harrier-cache-123';
const runner = runnerInstancePolicy({ ...ctx, bucketArn });
const instanceArn = (id: string): string => `arn:aws:ec2:eu-west-1:111122223333:instance/${id}`;
const param = (id: string): string => `arn:aws:ssm:eu-west-1:111122223333:parameter/harrier/acme/jit/${id}`;

/** A request signed with instance i-aaa's role credentials, as IAM sees it. */
function fromInstanceA(request: SimulatedRequest, targetInstance?: string): SimulatedRequest {
  return {
    ...request,
    context: {
      'ec2:SourceInstanceARN': instanceArn('i-aaa'),
      ...(targetInstance === undefined ? {} : { 'ec2:InstanceID': targetInstance }),
      ...request.context,
    },
  };
}

describe('runner instance policy', () => {
  it('lets a job read and write every cache prefix', () => {
    for (const key of ['node-modules/o/r/main/e.tzst', 'npm/x', 'docker/x', 'custom/x']) {
      assert.equal(
        evaluate([runner], { action: 's3:PutObject', resource: `${bucketArn}/${key}` }),
        'allow',
        key,
      );
      assert.equal(
        evaluate([runner], { action: 's3:GetObject', resource: `${bucketArn}/${key}` }),
        'allow',
        key,
      );
    }
  });

  it('lets a job read the agent but never replace or delete it', () => {
    const agent = `${bucketArn}/harrier/agent.mjs`;
    assert.equal(evaluate([runner], { action: 's3:GetObject', resource: agent }), 'allow');
    assert.equal(evaluate([runner], { action: 's3:PutObject', resource: agent }), 'implicit-deny');
    assert.equal(evaluate([runner], { action: 's3:DeleteObject', resource: agent }), 'implicit-deny');
  });

  it('gives no access to any other bucket', () => {
    assert.equal(
      evaluate([runner], { action: 's3:GetObject', resource: 'arn:aws:s3:::other-bucket/x' }),
      'implicit-deny',
    );
    assert.equal(evaluate([runner], { action: 's3:PutBucketPolicy', resource: bucketArn }), 'implicit-deny');
  });

  it('lets an instance take the JIT parameter tagged with its own ARN', () => {
    for (const action of ['ssm:GetParameter', 'ssm:DeleteParameter']) {
      const request = fromInstanceA({
        action,
        resource: param('i-aaa'),
        context: { [`ssm:resourceTag/${JIT_PARAMETER_OWNER_TAG}`]: instanceArn('i-aaa') },
      });
      assert.equal(evaluate([runner], request), 'allow', action);
    }
  });

  it("refuses another instance's JIT parameter, whatever ec2:InstanceID means in an SSM request", () => {
    for (const target of [undefined, 'i-aaa']) {
      const request = fromInstanceA(
        {
          action: 'ssm:GetParameter',
          resource: param('i-bbb'),
          context: { [`ssm:resourceTag/${JIT_PARAMETER_OWNER_TAG}`]: instanceArn('i-bbb') },
        },
        target,
      );
      assert.equal(evaluate([runner], request), 'implicit-deny', String(target));
    }
  });

  it('allows its own parameter by name when ec2:InstanceID resolves to the caller', () => {
    const request = fromInstanceA({ action: 'ssm:GetParameter', resource: param('i-aaa') }, 'i-aaa');
    assert.equal(evaluate([runner], request), 'allow');
  });

  it('cannot list, write or read parameters outside the pattern', () => {
    for (const [action, resource] of [
      ['ssm:GetParameters', param('i-aaa')],
      ['ssm:GetParametersByPath', param('')],
      ['ssm:PutParameter', param('i-aaa')],
      ['ssm:GetParameter', 'arn:aws:ssm:eu-west-1:111122223333:parameter/prod/db-password'],
    ] as const) {
      assert.equal(evaluate([runner], fromInstanceA({ action, resource }, 'i-aaa')), 'implicit-deny', action);
    }
  });

  it('cannot read Secrets Manager or the state table', () => {
    const secret = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:harrier-webhook-secret-AbC';
    assert.equal(
      evaluate([runner], { action: 'secretsmanager:GetSecretValue', resource: secret }),
      'implicit-deny',
    );
    const table = 'arn:aws:dynamodb:eu-west-1:111122223333:table/harrier-state';
    assert.equal(evaluate([runner], { action: 'dynamodb:GetItem', resource: table }), 'implicit-deny');
    assert.equal(evaluate([runner], { action: 'dynamodb:Scan', resource: table }), 'implicit-deny');
  });

  it('tags only itself, only with harrier:bootstrap=ok', () => {
    const own = (tagKeys: string[], value = 'ok'): SimulatedRequest =>
      fromInstanceA(
        {
          action: 'ec2:CreateTags',
          resource: instanceArn('i-aaa'),
          context: { 'aws:TagKeys': tagKeys, 'aws:RequestTag/harrier:bootstrap': value },
        },
        'i-aaa',
      );
    assert.equal(evaluate([runner], own(['harrier:bootstrap'])), 'allow');
    assert.equal(evaluate([runner], own(['harrier:bootstrap'], 'failed')), 'implicit-deny');
    assert.equal(evaluate([runner], own(['harrier:bootstrap', 'harrier:jit'])), 'implicit-deny');
    const other = fromInstanceA(
      {
        action: 'ec2:CreateTags',
        resource: instanceArn('i-bbb'),
        context: { 'aws:TagKeys': ['harrier:bootstrap'], 'aws:RequestTag/harrier:bootstrap': 'ok' },
      },
      'i-bbb',
    );
    assert.equal(evaluate([runner], other), 'implicit-deny');
  });

  it('cannot stop, terminate or send commands to instances', () => {
    for (const action of [
      'ec2:StopInstances',
      'ec2:TerminateInstances',
      'ssm:SendCommand',
      'ec2:RunInstances',
    ])
      assert.equal(
        evaluate([runner], fromInstanceA({ action, resource: instanceArn('i-bbb') }, 'i-bbb')),
        'implicit-deny',
      );
  });

  it('decrypts only through SSM, only for this stack’s JIT parameters', () => {
    const key = 'arn:aws:kms:eu-west-1:111122223333:key/abcd';
    const viaSsm = { 'kms:ViaService': 'ssm.eu-west-1.amazonaws.com' };
    assert.equal(
      evaluate([runner], {
        action: 'kms:Decrypt',
        resource: key,
        context: { ...viaSsm, 'kms:EncryptionContext:PARAMETER_ARN': param('i-aaa') },
      }),
      'allow',
    );
    assert.equal(evaluate([runner], { action: 'kms:Decrypt', resource: key }), 'implicit-deny');
    assert.equal(
      evaluate([runner], {
        action: 'kms:Decrypt',
        resource: key,
        context: {
          ...viaSsm,
          'kms:EncryptionContext:PARAMETER_ARN': 'arn:aws:ssm:eu-west-1:111122223333:parameter/prod/x',
        },
      }),
      'implicit-deny',
    );
  });
});

const arns: ControlPlaneArns = {
  ...ctx,
  tableArn: 'arn:aws:dynamodb:eu-west-1:111122223333:table/state',
  jobQueueArn: 'arn:aws:sqs:eu-west-1:111122223333:harrier-acme-jobs.fifo',
  githubCredentialSecretArn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:gh-AbC',
  webhookSecretArn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:wh-AbC',
  runnerRoleArn: 'arn:aws:iam::111122223333:role/runner',
  launchTemplateArn: 'arn:aws:ec2:eu-west-1:111122223333:launch-template/lt-1',
  securityGroupArn: 'arn:aws:ec2:eu-west-1:111122223333:security-group/sg-1',
  vpcArn: 'arn:aws:ec2:eu-west-1:111122223333:vpc/vpc-1',
  logGroupArn: 'arn:aws:logs:eu-west-1:111122223333:log-group:/aws/lambda/harrier-acme-webhook',
};
const policies = Object.fromEntries(FUNCTION_NAMES.map((fn) => [fn, functionPolicy(fn, arns)])) as Record<
  (typeof FUNCTION_NAMES)[number],
  PolicyDocument
>;
const actionsOf = (doc: PolicyDocument): string[] =>
  [...new Set(doc.Statement.flatMap((s) => s.Action))].sort();

describe('control-plane function policies', () => {
  it('gives webhook only its log group, the webhook secret and one queue send', () => {
    assert.deepEqual(actionsOf(policies.webhook), [
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'secretsmanager:GetSecretValue',
      'sqs:SendMessage',
    ]);
    assert.equal(
      evaluate([policies.webhook], {
        action: 'secretsmanager:GetSecretValue',
        resource: arns.githubCredentialSecretArn,
      }),
      'implicit-deny',
    );
  });

  it('keeps the webhook secret away from every function but webhook', () => {
    for (const fn of ['scale-up', 'lifecycle', 'reconcile'] as const)
      assert.equal(
        evaluate([policies[fn]], {
          action: 'secretsmanager:GetSecretValue',
          resource: arns.webhookSecretArn,
        }),
        'implicit-deny',
        fn,
      );
  });

  it('lets only scale-up consume the job queue', () => {
    for (const fn of FUNCTION_NAMES)
      assert.equal(
        evaluate([policies[fn]], { action: 'sqs:ReceiveMessage', resource: arns.jobQueueArn }),
        fn === 'scale-up' ? 'allow' : 'implicit-deny',
        fn,
      );
  });

  it('lets the launching functions start, tag and terminate only this stack’s instances', () => {
    const instance = 'arn:aws:ec2:eu-west-1:111122223333:instance/i-1';
    for (const fn of ['scale-up', 'lifecycle', 'reconcile'] as const) {
      assert.equal(
        evaluate([policies[fn]], {
          action: 'ec2:TerminateInstances',
          resource: instance,
          context: { 'aws:ResourceTag/harrier:stack': 'acme' },
        }),
        'allow',
      );
      assert.equal(
        evaluate([policies[fn]], {
          action: 'ec2:TerminateInstances',
          resource: instance,
          context: { 'aws:ResourceTag/harrier:stack': 'other' },
        }),
        'implicit-deny',
      );
      assert.equal(
        evaluate([policies[fn]], { action: 'ec2:TerminateInstances', resource: instance }),
        'implicit-deny',
      );
    }
  });

  it('refuses a launch that does not tag the instance with the stack', () => {
    const instance = 'arn:aws:ec2:eu-west-1:111122223333:instance/*';
    assert.equal(
      evaluate([policies['scale-up']], { action: 'ec2:RunInstances', resource: instance }),
      'implicit-deny',
    );
    assert.equal(
      evaluate([policies['scale-up']], {
        action: 'ec2:RunInstances',
        resource: instance,
        context: { 'aws:RequestTag/harrier:stack': 'acme' },
      }),
      'allow',
    );
  });

  it('passes only the runner role, only to EC2', () => {
    const context = { 'iam:PassedToService': 'ec2.amazonaws.com' };
    assert.equal(
      evaluate([policies['scale-up']], { action: 'iam:PassRole', resource: arns.runnerRoleArn, context }),
      'allow',
    );
    assert.equal(
      evaluate([policies['scale-up']], {
        action: 'iam:PassRole',
        resource: 'arn:aws:iam::111122223333:role/admin',
        context,
      }),
      'implicit-deny',
    );
    assert.equal(
      evaluate([policies.webhook], { action: 'iam:PassRole', resource: arns.runnerRoleArn, context }),
      'implicit-deny',
    );
  });

  it('never grants a wildcard action, nor any action on * except the Describe calls', () => {
    for (const fn of FUNCTION_NAMES)
      for (const statement of policies[fn].Statement) {
        assert.ok(
          statement.Action.every((a) => !a.includes('*')),
          `${fn}/${statement.Sid}`,
        );
        if (statement.Resource?.includes('*'))
          assert.ok(
            statement.Action.every((a) => a.startsWith('ec2:Describe')),
            `${fn}/${statement.Sid}`,
          );
      }
  });

  it('declares the permission groups each function uses', () => {
    assert.deepEqual(Object.keys(FUNCTION_PERMISSIONS).sort(), [...FUNCTION_NAMES].sort());
  });
});

describe('cache bucket policy', () => {
  it('denies every request not made over TLS', () => {
    const policy = tlsOnlyBucketPolicy(bucketArn);
    const request = { action: 's3:GetObject', resource: `${bucketArn}/npm/x` };
    assert.equal(
      evaluate([runner, policy], { ...request, context: { 'aws:SecureTransport': 'false' } }),
      'explicit-deny',
    );
    assert.equal(
      evaluate([runner, policy], { ...request, context: { 'aws:SecureTransport': 'true' } }),
      'allow',
    );
  });
});
