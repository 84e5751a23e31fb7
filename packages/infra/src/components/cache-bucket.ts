import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { CACHE_PREFIXES } from '../constants';
import { tlsOnlyBucketPolicy } from '../policies';

export interface CacheBucketArgs {
  /** Cache entries expire after this many days. @default 30 */
  retentionDays?: number;
  /** Incomplete multipart uploads (a job killed mid-store) are aborted after this many days. @default 1 */
  abortIncompleteUploadDays?: number;
  tags: Record<string, string>;
}

/**
 * The S3 bucket every runner mounts at /mnt/harrier-cache: private, encrypted, TLS-only, with
 * lifecycle rules so an abandoned cache costs nothing after `retentionDays`.
 */
export class CacheBucket extends pulumi.ComponentResource {
  readonly bucket: aws.s3.Bucket;

  constructor(name: string, args: CacheBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super('harrier:storage:CacheBucket', name, {}, opts);
    const parent = { parent: this };
    const retentionDays = args.retentionDays ?? 30;
    this.bucket = new aws.s3.Bucket(
      `${name}`,
      // A prefix, not a name: bucket names are global and a fixed one would collide across stacks.
      { bucketPrefix: `${name}-`, forceDestroy: true, tags: args.tags },
      parent,
    );
    const publicAccess = new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access`,
      {
        bucket: this.bucket.id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      parent,
    );
    new aws.s3.BucketOwnershipControls(
      `${name}-ownership`,
      { bucket: this.bucket.id, rule: { objectOwnership: 'BucketOwnerEnforced' } },
      parent,
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      {
        bucket: this.bucket.id,
        rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' }, bucketKeyEnabled: true }],
      },
      parent,
    );
    new aws.s3.BucketPolicy(
      `${name}-tls-only`,
      {
        bucket: this.bucket.id,
        policy: this.bucket.arn.apply((arn) => JSON.stringify(tlsOnlyBucketPolicy(arn))),
      },
      // The policy is not public, but S3 evaluates it against the block settings: apply those first.
      { parent: this, dependsOn: [publicAccess] },
    );
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-lifecycle`,
      {
        bucket: this.bucket.id,
        rules: [
          {
            id: 'abort-incomplete-multipart-uploads',
            status: 'Enabled',
            filter: {},
            abortIncompleteMultipartUpload: { daysAfterInitiation: args.abortIncompleteUploadDays ?? 1 },
          },
          ...CACHE_PREFIXES.map((prefix) => ({
            id: `expire-${prefix.replace(/\/$/, '')}`,
            status: 'Enabled',
            // Zero-byte directory markers (below) never expire, so the prefixes always exist.
            filter: { and: { prefix, objectSizeGreaterThan: 0 } },
            expiration: { days: retentionDays },
          })),
        ],
      },
      parent,
    );
    for (const prefix of CACHE_PREFIXES) {
      new aws.s3.BucketObjectv2(
        `${name}-${prefix.replace(/\/$/, '')}`,
        { bucket: this.bucket.id, key: prefix, content: '', tags: args.tags },
        parent,
      );
    }
    this.registerOutputs({ bucketName: this.bucket.bucket, bucketArn: this.bucket.arn });
  }
}
