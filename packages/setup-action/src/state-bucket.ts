// Creates the S3 bucket that holds the Pulumi state, on first run, when the user asks for it.
// Locked down like the cache bucket: versioned (a bad `up` can be rolled back to an older
// checkpoint), all public access blocked, encrypted at rest, TLS only.
import type { S3Client } from '@aws-sdk/client-s3';
import {
  CreateBucketCommand,
  HeadBucketCommand,
  PutBucketEncryptionCommand,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
} from '@aws-sdk/client-s3';

export class StateBucketError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StateBucketError';
  }
}

export type StateBucketResult = 'exists' | 'created';

/** S3 answers HeadBucket on a missing bucket with a bare 404 (a HEAD has no error body). */
function httpStatus(error: unknown): number | undefined {
  const meta = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata;
  return meta?.httpStatusCode;
}

/** Denies every request that does not use TLS. */
export function tlsOnlyPolicy(bucket: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ],
  });
}

/**
 * Makes sure `bucket` exists; creates and locks it down when it does not. An existing bucket is
 * left exactly as it is (it may be the user's own, configured their way).
 */
export async function ensureStateBucket(
  s3: S3Client,
  bucket: string,
  region: string,
  log: (message: string) => void,
): Promise<StateBucketResult> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    log(`State bucket s3://${bucket} exists.`);
    return 'exists';
  } catch (error: unknown) {
    const status = httpStatus(error);
    if (status === 403)
      throw new StateBucketError(
        `The state bucket ${bucket} exists but this role may not use it (403): it belongs to another account, or the role lacks s3:ListBucket on it.`,
        { cause: error },
      );
    if (status !== 404)
      throw new StateBucketError(`Could not check the state bucket ${bucket}.`, { cause: error });
  }
  log(`Creating state bucket s3://${bucket} in ${region}.`);
  // us-east-1 is the one region that rejects an explicit LocationConstraint.
  await s3.send(
    new CreateBucketCommand({
      Bucket: bucket,
      ...(region === 'us-east-1'
        ? {}
        : { CreateBucketConfiguration: { LocationConstraint: region as never } }),
    }),
  );
  await s3.send(
    new PutPublicAccessBlockCommand({
      Bucket: bucket,
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        IgnorePublicAcls: true,
        BlockPublicPolicy: true,
        RestrictPublicBuckets: true,
      },
    }),
  );
  await s3.send(
    new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }),
  );
  await s3.send(
    new PutBucketEncryptionCommand({
      Bucket: bucket,
      ServerSideEncryptionConfiguration: {
        Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: true }],
      },
    }),
  );
  await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: tlsOnlyPolicy(bucket) }));
  return 'created';
}
