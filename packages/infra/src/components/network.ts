import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { splitCidr } from '../cidr';

export interface NetworkArgs {
  /** @default '10.72.0.0/16' */
  cidrBlock?: string;
  /** Two availability zones; the subnets are spread over them (a capacity error in one falls back to the other). */
  availabilityZones: pulumi.Input<string>[];
  /** Tags on every resource (harrier:stack at least). */
  tags: Record<string, string>;
}

/**
 * A dedicated VPC: public subnets in two AZs, an internet gateway, one route table, and the runner
 * security group with no inbound rule at all (runners only dial out to GitHub, S3 and AWS APIs).
 * Plain `@pulumi/aws` resources rather than `awsx.ec2.Vpc`: under mocks awsx creates no children,
 * and the subnets and routes are exactly what the tests must see.
 */
export class Network extends pulumi.ComponentResource {
  readonly vpc: aws.ec2.Vpc;
  readonly subnets: aws.ec2.Subnet[];
  readonly runnerSecurityGroup: aws.ec2.SecurityGroup;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super('harrier:network:Network', name, {}, opts);
    const cidrBlock = args.cidrBlock ?? '10.72.0.0/16';
    const parent = { parent: this };
    this.vpc = new aws.ec2.Vpc(
      `${name}-vpc`,
      {
        cidrBlock,
        enableDnsHostnames: true,
        enableDnsSupport: true,
        tags: { ...args.tags, Name: `${name}-vpc` },
      },
      parent,
    );
    // The VPC's default group allows all traffic between its members; nothing should use it, so empty it.
    new aws.ec2.DefaultSecurityGroup(
      `${name}-default-sg`,
      { vpcId: this.vpc.id, ingress: [], egress: [], tags: { ...args.tags, Name: `${name}-default-unused` } },
      parent,
    );
    const gateway = new aws.ec2.InternetGateway(
      `${name}-igw`,
      { vpcId: this.vpc.id, tags: { ...args.tags, Name: `${name}-igw` } },
      parent,
    );
    const routeTable = new aws.ec2.RouteTable(
      `${name}-public`,
      { vpcId: this.vpc.id, tags: { ...args.tags, Name: `${name}-public` } },
      parent,
    );
    new aws.ec2.Route(
      `${name}-default-route`,
      { routeTableId: routeTable.id, destinationCidrBlock: '0.0.0.0/0', gatewayId: gateway.id },
      parent,
    );
    const cidrs = splitCidr(cidrBlock, args.availabilityZones.length);
    this.subnets = args.availabilityZones.map((availabilityZone, index) => {
      const subnet = new aws.ec2.Subnet(
        `${name}-public-${index}`,
        {
          vpcId: this.vpc.id,
          cidrBlock: cidrs[index]!,
          availabilityZone,
          // Runners need a public address to reach GitHub without a NAT gateway (which costs per hour).
          mapPublicIpOnLaunch: true,
          tags: { ...args.tags, Name: `${name}-public-${index}` },
        },
        parent,
      );
      new aws.ec2.RouteTableAssociation(
        `${name}-public-${index}`,
        { subnetId: subnet.id, routeTableId: routeTable.id },
        parent,
      );
      return subnet;
    });
    this.runnerSecurityGroup = new aws.ec2.SecurityGroup(
      `${name}-runners`,
      {
        vpcId: this.vpc.id,
        description: 'Harrier runners: no inbound traffic at all; all outbound',
        ingress: [],
        egress: [
          {
            description: 'GitHub, S3 and AWS APIs',
            protocol: '-1',
            fromPort: 0,
            toPort: 0,
            cidrBlocks: ['0.0.0.0/0'],
            ipv6CidrBlocks: ['::/0'],
          },
        ],
        tags: { ...args.tags, Name: `${name}-runners` },
      },
      parent,
    );
    this.registerOutputs({
      vpcId: this.vpc.id,
      subnetIds: this.subnets.map((s) => s.id),
      runnerSecurityGroupId: this.runnerSecurityGroup.id,
    });
  }
}
