import type { AssemblyModel, StackModel } from './assembly';
import { attribute, property, reference, resourcesOfType, type Located } from './facts';
import type { Workload } from './workloads';

/** The VPC endpoint service a call of an IAM service prefix goes to, where it differs. */
const ENDPOINT_SERVICE: Readonly<Record<string, string>> = {
  ecr: 'ecr.api',
  cloudwatch: 'monitoring',
  'rds-db': '',
};

/** Services reached through gateway endpoints (route tables) rather than interface endpoints. */
const GATEWAY_SERVICES = new Set(['s3', 'dynamodb']);

/** A security group rule, resolved. */
interface Rule {
  readonly protocol: string;
  readonly from: number;
  readonly to: number;
  readonly cidr?: string;
  readonly group?: string;
  readonly prefixList?: string;
}

function toRule(
  raw: Record<string, unknown>,
  peerKey: 'SourceSecurityGroupId' | 'DestinationSecurityGroupId',
): Rule {
  return {
    protocol: String(raw.IpProtocol ?? '-1'),
    from: raw.FromPort === undefined ? 0 : Number(raw.FromPort),
    to: raw.ToPort === undefined ? 65535 : Number(raw.ToPort),
    cidr: typeof raw.CidrIp === 'string' ? raw.CidrIp : undefined,
    group: typeof raw[peerKey] === 'string' ? (raw[peerKey] as string) : undefined,
    prefixList:
      typeof raw.DestinationPrefixListId === 'string'
        ? raw.DestinationPrefixListId
        : typeof raw.SourcePrefixListId === 'string'
          ? raw.SourcePrefixListId
          : undefined,
  };
}

/** Every security group of a stage, by ID, with its ingress and egress rules. */
export class SecurityGroups {
  private readonly ingress = new Map<string, Rule[]>();
  private readonly egress = new Map<string, Rule[]>();

  constructor(assembly: AssemblyModel, stacks: readonly StackModel[]) {
    for (const group of resourcesOfType(assembly, 'AWS::EC2::SecurityGroup', stacks)) {
      const id = reference(group);
      this.ingress.set(
        id,
        ((property(group, 'SecurityGroupIngress') ?? []) as Record<string, unknown>[]).map((r) =>
          toRule(r, 'SourceSecurityGroupId'),
        ),
      );
      const egress = property(group, 'SecurityGroupEgress') as Record<string, unknown>[] | undefined;
      // Without egress rules, EC2 gives a group its default rule: everything, everywhere.
      this.egress.set(
        id,
        egress === undefined
          ? [{ protocol: '-1', from: 0, to: 65535, cidr: '0.0.0.0/0' }]
          : egress.map((r) => toRule(r, 'DestinationSecurityGroupId')),
      );
    }
    // The cluster security group EKS creates with each cluster, and its default rules: all traffic
    // from itself, all traffic out. Rules of the templates add to them.
    // @see https://docs.aws.amazon.com/eks/latest/userguide/sec-group-reqs.html
    for (const cluster of resourcesOfType(assembly, 'AWS::EKS::Cluster', stacks)) {
      const id = attribute(cluster, 'ClusterSecurityGroupId');
      this.ingress.set(id, [{ protocol: '-1', from: 0, to: 65535, group: id }]);
      this.egress.set(id, [{ protocol: '-1', from: 0, to: 65535, cidr: '0.0.0.0/0' }]);
    }
    for (const rule of resourcesOfType(assembly, 'AWS::EC2::SecurityGroupIngress', stacks)) {
      const raw = rule.resource.Properties ? (resolveAll(rule) as Record<string, unknown>) : {};
      this.ingress.get(String(raw.GroupId))?.push(toRule(raw, 'SourceSecurityGroupId'));
    }
    for (const rule of resourcesOfType(assembly, 'AWS::EC2::SecurityGroupEgress', stacks)) {
      const raw = rule.resource.Properties ? (resolveAll(rule) as Record<string, unknown>) : {};
      this.egress.get(String(raw.GroupId))?.push(toRule(raw, 'DestinationSecurityGroupId'));
    }
  }

  /** Whether any of `from`'s groups may send TCP `port` to a peer matching `peer`. */
  allowsEgress(from: readonly string[], port: number, peer: (rule: Rule) => boolean): boolean {
    return from.some((g) => (this.egress.get(g) ?? []).some((r) => covers(r, port) && peer(r)));
  }

  /** Whether any of `to`'s groups admits TCP `port` from a peer matching `peer`. */
  allowsIngress(to: readonly string[], port: number, peer: (rule: Rule) => boolean): boolean {
    return to.some((g) => (this.ingress.get(g) ?? []).some((r) => covers(r, port) && peer(r)));
  }
}

function resolveAll(located: Located): unknown {
  return Object.fromEntries(
    Object.keys(located.resource.Properties ?? {}).map((k) => [k, property(located, k)]),
  );
}

/** Whether a rule lets TCP `port` through: all traffic (`-1`), or TCP over a range holding it. */
function covers(rule: Rule, port: number): boolean {
  if (rule.protocol === '-1') {
    return true;
  }
  return (rule.protocol === 'tcp' || rule.protocol === '6') && rule.from <= port && port <= rule.to;
}

/** Whether an IPv4 CIDR contains another (or an address). */
export function cidrContains(outer: string, inner: string): boolean {
  const parse = (cidr: string): [number, number] => {
    const [address = '', bits = '32'] = cidr.split('/');
    const value = address.split('.').reduce((acc, octet) => (acc << 8) + Number(octet), 0) >>> 0;
    return [value, Number(bits)];
  };
  const [outerAddress, outerBits] = parse(outer);
  const [innerAddress, innerBits] = parse(inner);
  if (innerBits < outerBits) {
    return false;
  }
  const mask = outerBits === 0 ? 0 : (~0 << (32 - outerBits)) >>> 0;
  return (outerAddress & mask) === (innerAddress & mask);
}

/** What the network gives a stage: subnets' CIDRs and route tables, routes, endpoints. */
export class StageNetwork {
  readonly groups: SecurityGroups;
  private readonly subnetCidr = new Map<string, string>();
  private readonly subnetRouteTable = new Map<string, string>();
  private readonly natRouteTables = new Set<string>();
  private readonly endpoints: { service: string; type: string; groups: string[]; routeTables: string[] }[] =
    [];

  constructor(assembly: AssemblyModel, stacks: readonly StackModel[]) {
    this.groups = new SecurityGroups(assembly, stacks);
    for (const subnet of resourcesOfType(assembly, 'AWS::EC2::Subnet', stacks)) {
      this.subnetCidr.set(reference(subnet), String(property(subnet, 'CidrBlock')));
    }
    for (const association of resourcesOfType(assembly, 'AWS::EC2::SubnetRouteTableAssociation', stacks)) {
      this.subnetRouteTable.set(
        String(property(association, 'SubnetId')),
        String(property(association, 'RouteTableId')),
      );
    }
    for (const route of resourcesOfType(assembly, 'AWS::EC2::Route', stacks)) {
      if (
        property(route, 'DestinationCidrBlock') === '0.0.0.0/0' &&
        route.resource.Properties?.NatGatewayId !== undefined
      ) {
        this.natRouteTables.add(String(property(route, 'RouteTableId')));
      }
    }
    for (const endpoint of resourcesOfType(assembly, 'AWS::EC2::VPCEndpoint', stacks)) {
      this.endpoints.push({
        service: String(property(endpoint, 'ServiceName')),
        type: String(property(endpoint, 'VpcEndpointType') ?? 'Gateway'),
        groups: ((property(endpoint, 'SecurityGroupIds') ?? []) as unknown[]).map(String),
        routeTables: ((property(endpoint, 'RouteTableIds') ?? []) as unknown[]).map(String),
      });
    }
  }

  /** The CIDR of a subnet, when the stage defines it. */
  cidrOf(subnet: string): string | undefined {
    return this.subnetCidr.get(subnet);
  }

  /**
   * Why a workload cannot reach an AWS service's API, or undefined when it can: through a NAT
   * gateway, or through the service's VPC endpoint.
   */
  unreachable(workload: Workload, iamService: string, region: string): string | undefined {
    const network = workload.network;
    if (!network) {
      return undefined;
    }
    const suffix = ENDPOINT_SERVICE[iamService] ?? iamService;
    if (suffix === '') {
      return undefined;
    }
    const serviceName = `com.amazonaws.${region}.${suffix}`;
    const tables = network.subnets.map((s) => this.subnetRouteTable.get(s));
    const sgs = network.securityGroups;
    if (tables.length > 0 && tables.every((t) => t !== undefined && this.natRouteTables.has(t))) {
      return this.groups.allowsEgress(sgs, 443, (r) => r.cidr === '0.0.0.0/0')
        ? undefined
        : `its security group has no HTTPS egress to the internet (through the NAT gateway) for ${suffix}`;
    }
    const endpoint = this.endpoints.find((e) => e.service === serviceName);
    if (!endpoint) {
      return `no NAT gateway and no VPC endpoint ${serviceName}`;
    }
    if (GATEWAY_SERVICES.has(suffix) && endpoint.type === 'Gateway') {
      const missing = tables.filter((t) => t === undefined || !endpoint.routeTables.includes(t));
      if (missing.length > 0) {
        return `the gateway endpoint ${serviceName} is not on the route tables of its subnets`;
      }
      return this.groups.allowsEgress(sgs, 443, (r) => r.cidr === '0.0.0.0/0' || r.prefixList !== undefined)
        ? undefined
        : `its security group has no HTTPS egress to ${suffix}'s prefix list`;
    }
    const subnetCidrs = network.subnets.map((s) => this.subnetCidr.get(s)).filter((c): c is string => !!c);
    const admitted = this.groups.allowsIngress(endpoint.groups, 443, (r) =>
      r.group !== undefined
        ? sgs.includes(r.group)
        : r.cidr !== undefined &&
          subnetCidrs.length > 0 &&
          subnetCidrs.every((c) => cidrContains(r.cidr ?? '', c)),
    );
    if (!admitted) {
      return `the security group of the VPC endpoint ${serviceName} does not admit HTTPS from its security group or subnets`;
    }
    const leaves = this.groups.allowsEgress(sgs, 443, (r) =>
      r.group !== undefined
        ? endpoint.groups.includes(r.group)
        : r.cidr !== undefined && subnetCidrs.every((c) => cidrContains(r.cidr ?? '', c)),
    );
    return leaves ? undefined : `its security group has no HTTPS egress to the VPC endpoint ${serviceName}`;
  }

  /** Why a workload cannot open TCP `port` to a target's security groups, or undefined. */
  portClosed(
    workload: Workload,
    targetGroups: readonly string[],
    port: number,
    target: string,
  ): string | undefined {
    const sgs = workload.network?.securityGroups ?? [];
    if (
      !this.groups.allowsIngress(targetGroups, port, (r) => r.group !== undefined && sgs.includes(r.group))
    ) {
      return `the security group of ${target} has no ingress rule for port ${port} from its security group`;
    }
    if (
      !this.groups.allowsEgress(
        sgs,
        port,
        (r) => (r.group !== undefined && targetGroups.includes(r.group)) || r.cidr === '0.0.0.0/0',
      )
    ) {
      return `its security group has no egress to ${target} on port ${port}`;
    }
    return undefined;
  }
}
