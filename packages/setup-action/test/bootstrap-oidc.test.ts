// examples/bootstrap-oidc/template.yml: the role the setup workflow assumes must trust exactly one
// repository environment and grant nothing account-wide beyond reads.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ScalarTag } from 'yaml';
import { parse } from 'yaml';
import { Defaults } from '../src/constants';
import { repoRoot } from './helpers';

// CloudFormation's short-form intrinsics (!Ref, !Sub, ...) as plain objects.
const intrinsic = (name: string, fn: string): ScalarTag => ({
  tag: `!${name}`,
  resolve: (value: string) => ({ [fn]: value }),
});
const customTags = [
  intrinsic('Ref', 'Ref'),
  intrinsic('Sub', 'Fn::Sub'),
  intrinsic('GetAtt', 'Fn::GetAtt'),
  { tag: '!Equals', collection: 'seq' as const, resolve: (value: unknown) => ({ 'Fn::Equals': value }) },
];

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

const template = parse(readFileSync(join(repoRoot, 'examples', 'bootstrap-oidc', 'template.yml'), 'utf8'), {
  customTags,
}) as {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  Outputs: Record<string, unknown>;
};
interface RoleProperties {
  AssumeRolePolicyDocument: {
    Statement: (Statement & { Condition: Record<string, Record<string, unknown>> })[];
  };
  Policies: { PolicyDocument: { Statement: Statement[] } }[];
}
const role = template.Resources.SetupRole!.Properties as unknown as RoleProperties;
const statements = role.Policies.flatMap((p) => p.PolicyDocument.Statement);
const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const READ_ONLY = /^[a-z0-9-]+:(Describe|Get|List)[A-Za-z*]*$/;

describe('bootstrap OIDC template', () => {
  it('lets only one repository environment assume the role, through GitHub OIDC', () => {
    const [trust, ...others] = role.AssumeRolePolicyDocument.Statement;
    assert.ok(trust);
    assert.equal(others.length, 0);
    assert.equal(trust.Action, 'sts:AssumeRoleWithWebIdentity');
    assert.deepEqual(Object.keys(trust.Condition), ['StringEquals']);
    const conditions = trust.Condition.StringEquals!;
    assert.equal(conditions['token.actions.githubusercontent.com:aud'], 'sts.amazonaws.com');
    assert.deepEqual(conditions['token.actions.githubusercontent.com:sub'], {
      'Fn::Sub': 'repo:${GitHubOrg}/${Repository}:environment:${Environment}',
    });
  });

  it('grants no action on every resource unless it only reads or carries a condition', () => {
    for (const statement of statements.filter((s) => s.Resource === '*'))
      for (const action of actions(statement))
        assert.ok(
          READ_ONLY.test(action) || statement.Condition,
          `${statement.Sid}: ${action} on * without a condition`,
        );
  });

  it('never grants a whole service on every resource', () => {
    for (const statement of statements)
      for (const action of actions(statement))
        assert.ok(
          !(action === '*' || (action.endsWith(':*') && statement.Resource === '*')),
          `${statement.Sid}: ${action}`,
        );
  });

  it('scopes service-wide grants to resources named harrier-*', () => {
    for (const statement of statements.filter((s) => actions(s).some((a) => a.endsWith(':*')))) {
      const resources = (statement.Resource as { 'Fn::Sub': string }[]).map((r) => r['Fn::Sub']);
      for (const resource of resources) assert.match(resource, /harrier-\*/, `${statement.Sid}: ${resource}`);
    }
  });

  it('passes Harrier roles only to EC2 and Lambda services', () => {
    const passRole = statements.find((s) => actions(s).includes('iam:PassRole'))!;
    assert.ok(passRole.Condition?.StringEquals?.['iam:PassedToService']);
    assert.deepEqual(passRole.Resource, {
      'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/harrier-*',
    });
  });

  it('cannot launch instances (the control plane does, with its own role)', () => {
    assert.ok(!statements.some((s) => actions(s).some((a) => a === 'ec2:RunInstances' || a === 'ec2:*')));
  });

  it('creates the KMS alias the setup action uses by default', () => {
    assert.equal(template.Resources.SecretsKeyAlias!.Properties.AliasName, Defaults.kmsAlias);
    assert.equal(template.Resources.SecretsKey!.Properties.EnableKeyRotation, true);
  });

  it('outputs the role ARN for role-to-assume', () => {
    assert.ok('RoleArn' in template.Outputs);
  });

  it('trusts the environment the example setup workflow runs in, which may request OIDC tokens', () => {
    const workflow = parse(readFileSync(join(repoRoot, 'examples', 'setup.yml'), 'utf8'));
    const parameters = (template as unknown as { Parameters: Record<string, { Default?: string }> })
      .Parameters;
    assert.equal(workflow.jobs.setup.environment, parameters.Environment?.Default);
    assert.equal(workflow.permissions['id-token'], 'write');
  });
});
