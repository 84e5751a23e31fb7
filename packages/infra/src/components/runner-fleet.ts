import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { AGENT_OBJECT_KEY, CANONICAL_OWNER_ID, TAG } from '../constants';
import { assumeRolePolicy, runnerInstancePolicy } from '../policies';
import type { Architecture } from '../runner-release';
import { renderUserData } from '../user-data';

/** One pool's machine shape. */
export interface FleetPool {
  name: string;
  architecture: Architecture;
  instanceType: string;
  /** Root gp3 volume, GiB. */
  volumeSizeGb: number;
}

export interface RunnerFleetArgs {
  stack: string;
  partition: pulumi.Input<string>;
  region: pulumi.Input<string>;
  accountId: pulumi.Input<string>;
  bucketName: pulumi.Input<string>;
  bucketArn: pulumi.Input<string>;
  securityGroupId: pulumi.Input<string>;
  /** The default pool first, then any extra pools. */
  pools: FleetPool[];
  runnerVersion: string;
  runnerSha256: Record<Architecture, string>;
  /** @default 0 (one job per machine) */
  reuseWindowMinutes?: number;
  /** The agent bundle to upload to `harrier/agent.mjs` (packages/control-plane/dist/agent/index.mjs). */
  agentBundlePath: string;
  tags: Record<string, string>;
}

/** Ubuntu publishes `amd64`/`arm64` image names; EC2 calls the architectures `x86_64`/`arm64`. */
const UBUNTU_ARCH: Record<Architecture, { image: string; ec2: string }> = {
  x64: { image: 'amd64', ec2: 'x86_64' },
  arm64: { image: 'arm64', ec2: 'arm64' },
};
/** Ubuntu 24.04 LTS (noble), gp3-backed images. */
export const UBUNTU_IMAGE_NAME = (architecture: Architecture): string =>
  `ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-${UBUNTU_ARCH[architecture].image}-server-*`;

/**
 * The runners: an instance role with a narrow policy of its own (no AWS managed policy at all), its
 * instance profile, the agent bundle in the bucket's read-only `harrier/` prefix, and one launch
 * template per pool (Ubuntu LTS, gp3, IMDSv2 only with hop limit 2, instance metadata tags on).
 */
export class RunnerFleet extends pulumi.ComponentResource {
  readonly role: aws.iam.Role;
  readonly instanceProfile: aws.iam.InstanceProfile;
  readonly launchTemplates: Record<string, aws.ec2.LaunchTemplate>;
  readonly agentObject: aws.s3.BucketObjectv2;

  constructor(name: string, args: RunnerFleetArgs, opts?: pulumi.ComponentResourceOptions) {
    super('harrier:fleet:RunnerFleet', name, {}, opts);
    const parent = { parent: this };
    this.role = new aws.iam.Role(
      `${name}-role`,
      {
        assumeRolePolicy: JSON.stringify(assumeRolePolicy('ec2.amazonaws.com')),
        description: 'Harrier runner instances: cache bucket, own JIT parameter, own bootstrap tag',
        tags: args.tags,
      },
      parent,
    );
    new aws.iam.RolePolicy(
      `${name}-policy`,
      {
        role: this.role.id,
        policy: pulumi
          .all([args.partition, args.region, args.accountId, args.bucketArn])
          .apply(([partition, region, accountId, bucketArn]) =>
            JSON.stringify(
              runnerInstancePolicy({ partition, region, accountId, stack: args.stack, bucketArn }),
            ),
          ),
      },
      parent,
    );
    this.instanceProfile = new aws.iam.InstanceProfile(
      `${name}-profile`,
      { role: this.role.name, tags: args.tags },
      parent,
    );
    this.agentObject = new aws.s3.BucketObjectv2(
      `${name}-agent`,
      {
        bucket: args.bucketName,
        key: AGENT_OBJECT_KEY,
        source: new pulumi.asset.FileAsset(args.agentBundlePath),
        contentType: 'text/javascript',
        tags: args.tags,
      },
      parent,
    );

    const amis = new Map<Architecture, pulumi.Output<aws.ec2.GetAmiResult>>();
    const amiFor = (architecture: Architecture): pulumi.Output<aws.ec2.GetAmiResult> => {
      let ami = amis.get(architecture);
      if (ami === undefined) {
        ami = aws.ec2.getAmiOutput(
          {
            owners: [CANONICAL_OWNER_ID],
            mostRecent: true,
            filters: [
              { name: 'name', values: [UBUNTU_IMAGE_NAME(architecture)] },
              { name: 'architecture', values: [UBUNTU_ARCH[architecture].ec2] },
              { name: 'virtualization-type', values: ['hvm'] },
              { name: 'root-device-type', values: ['ebs'] },
            ],
          },
          parent,
        );
        amis.set(architecture, ami);
      }
      return ami;
    };

    this.launchTemplates = {};
    for (const pool of args.pools) {
      const ami = amiFor(pool.architecture);
      const instanceTags = {
        ...args.tags,
        [TAG.pool]: pool.name,
        Name: `harrier-${args.stack}-${pool.name}`,
      };
      this.launchTemplates[pool.name] = new aws.ec2.LaunchTemplate(
        `${name}-${pool.name}`,
        {
          description: `Harrier ${pool.name} pool (${pool.architecture}, ${pool.instanceType})`,
          imageId: ami.id,
          instanceType: pool.instanceType,
          iamInstanceProfile: { arn: this.instanceProfile.arn },
          vpcSecurityGroupIds: [args.securityGroupId],
          // A pool instance stops itself after its bootstrap; scale-up switches a claimed one to terminate.
          instanceInitiatedShutdownBehavior: 'stop',
          metadataOptions: {
            httpEndpoint: 'enabled',
            httpTokens: 'required',
            // 2, not 1: containers in a job (Docker builds) sit one hop further and use the job's role.
            httpPutResponseHopLimit: 2,
            instanceMetadataTags: 'enabled',
          },
          blockDeviceMappings: [
            {
              deviceName: ami.rootDeviceName,
              ebs: {
                volumeSize: pool.volumeSizeGb,
                volumeType: 'gp3',
                encrypted: 'true',
                deleteOnTermination: 'true',
              },
            },
          ],
          monitoring: { enabled: false },
          userData: pulumi.all([args.bucketName, args.region]).apply(([bucketName, region]) =>
            Buffer.from(
              renderUserData({
                architecture: pool.architecture,
                runnerVersion: args.runnerVersion,
                runnerSha256: args.runnerSha256[pool.architecture],
                bucketName,
                region,
                reuseWindowMinutes: args.reuseWindowMinutes ?? 0,
              }),
            ).toString('base64'),
          ),
          tagSpecifications: [
            { resourceType: 'instance', tags: instanceTags },
            { resourceType: 'volume', tags: instanceTags },
          ],
          updateDefaultVersion: true,
          tags: args.tags,
        },
        // The bootstrap copies the agent from the bucket: it must be there before any instance boots.
        { parent: this, dependsOn: [this.agentObject] },
      );
    }
    this.registerOutputs({
      roleArn: this.role.arn,
      launchTemplateIds: Object.fromEntries(
        Object.entries(this.launchTemplates).map(([k, lt]) => [k, lt.id]),
      ),
    });
  }
}
