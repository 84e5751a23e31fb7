import assert from 'node:assert/strict';
import type { PolicyDocument } from '../src/policies';
import { evaluate } from './support/iam-simulator';

// The simulator decides the security tests, so it gets tests of its own.
const policy: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    { Sid: 'A', Effect: 'Allow', Action: ['s3:Get*'], Resource: ['arn:aws:s3:::b/pub/*'] },
    {
      Sid: 'B',
      Effect: 'Allow',
      Action: ['ssm:GetParameter'],
      Resource: ['arn:aws:ssm:r:1:parameter/p/${ec2:InstanceID}'],
    },
    {
      Sid: 'C',
      Effect: 'Allow',
      Action: ['ec2:CreateTags'],
      Resource: ['*'],
      Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['ok'] } },
    },
  ],
};

describe('IAM simulator (test support)', () => {
  it('allows a wildcard action on a matching resource', () => {
    assert.equal(evaluate([policy], { action: 's3:GetObject', resource: 'arn:aws:s3:::b/pub/x' }), 'allow');
  });
  it('denies implicitly outside the resource pattern', () => {
    assert.equal(
      evaluate([policy], { action: 's3:GetObject', resource: 'arn:aws:s3:::b/private/x' }),
      'implicit-deny',
    );
  });
  it('does not match a statement whose policy variable is unresolved', () => {
    assert.equal(
      evaluate([policy], { action: 'ssm:GetParameter', resource: 'arn:aws:ssm:r:1:parameter/p/' }),
      'implicit-deny',
    );
  });
  it('substitutes a resolved policy variable', () => {
    const context = { 'ec2:InstanceID': 'i-1' };
    assert.equal(
      evaluate([policy], {
        action: 'ssm:GetParameter',
        resource: 'arn:aws:ssm:r:1:parameter/p/i-1',
        context,
      }),
      'allow',
    );
    assert.equal(
      evaluate([policy], {
        action: 'ssm:GetParameter',
        resource: 'arn:aws:ssm:r:1:parameter/p/i-2',
        context,
      }),
      'implicit-deny',
    );
  });
  it('requires every value of a ForAllValues key to match', () => {
    const request = { action: 'ec2:CreateTags', resource: 'x' };
    assert.equal(evaluate([policy], { ...request, context: { 'aws:TagKeys': ['ok'] } }), 'allow');
    assert.equal(
      evaluate([policy], { ...request, context: { 'aws:TagKeys': ['ok', 'other'] } }),
      'implicit-deny',
    );
  });
});
