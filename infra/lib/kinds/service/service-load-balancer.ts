import { Duration, Validations } from 'aws-cdk-lib';
import type { EnvironmentProfile } from '../../config/profile-schema';
import { SecureBucket } from '../../constructs/secure-bucket';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { ServiceProfile } from '../../config/service-profile-schema';
import { SubnetGroup } from '../../constructs/network';

/**
 * The bucket a load balancer writes its access logs to: its own, SSE-S3 (the only encryption Elastic
 * Load Balancing delivers to), kept as long as the environment's logs, itself logged to
 * `serverAccessLogsBucket`.
 */
export function loadBalancerLogBucket(
  scope: Construct,
  profile: EnvironmentProfile,
  serverAccessLogsBucket: s3.IBucket,
): s3.IBucket {
  const bucket = new SecureBucket(scope, 'LoadBalancerLogs', {
    retainData: profile.retainData,
    noncurrentVersionExpiration: Duration.days(1),
    expiration: Duration.days(profile.logRetentionDays),
    serverAccessLogsBucket,
  }).bucket;
  Validations.of(bucket).acknowledge({
    id: 'cdk-validator-cfnguard::s3_bucket_default_encryption_kms_check',
    reason: 'Load balancer access logs can only be delivered to a bucket encrypted with SSE-S3',
  });
  return bucket;
}

/** Props of {@link ServiceLoadBalancer}. */
export interface ServiceLoadBalancerProps {
  /** `<prefix>-<env>-<service>`: the balancer's and target groups' base name. */
  readonly name: string;
  readonly vpc: ec2.IVpc;
  /** The environment's service settings (listeners, certificate). */
  readonly profile: ServiceProfile;
  /** The container port the targets listen on. */
  readonly containerPort: number;
  /** The path the target groups check (2xx when the task can serve). */
  readonly healthCheckPath: string;
  /** Whether a second (green) target group and the test listener are needed (blue/green strategies). */
  readonly blueGreen: boolean;
  /** Protect the balancer from deletion (environments that retain data). */
  readonly deletionProtection: boolean;
  /** Where the balancer writes its access logs (an SSE-S3 bucket). */
  readonly accessLogBucket: s3.IBucket;
  /**
   * Listener rules instead of default actions: Amazon ECS's own blue/green moves traffic by
   * rewriting a rule's weights; CodeDeploy rewrites the listeners' default actions.
   */
  readonly trafficThroughRules: boolean;
  /** What the target groups register: tasks by IP, or instances. @default elbv2.TargetType.IP */
  readonly targetType?: elbv2.TargetType;
  /**
   * The name of the one target group, where there is no green one (an EC2 fleet's, which CodeDeploy
   * moves instances within). @default - `<name>-blue`, 32 characters at most
   */
  readonly targetGroupName?: string;
}

/**
 * The application load balancer of one service: a production listener, and for blue/green a test
 * listener and a second target group. HTTPS when the profile gives a certificate, else HTTP (the
 * plan says so). Target groups check the service's readiness path; 30 s deregistration delay
 * (the service drains in-flight requests on SIGTERM within its own 25 s).
 */
export class ServiceLoadBalancer extends Construct {
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly securityGroup: ec2.SecurityGroup;
  readonly productionListener: elbv2.ApplicationListener;
  readonly testListener?: elbv2.ApplicationListener;
  /** Takes production traffic first (the service starts on it). */
  readonly blue: elbv2.ApplicationTargetGroup;
  /** The other side of a blue/green deployment. */
  readonly green?: elbv2.ApplicationTargetGroup;
  /** For `trafficThroughRules`: the rules that forward to the target groups. */
  readonly productionRule?: elbv2.ApplicationListenerRule;
  readonly testRule?: elbv2.ApplicationListenerRule;
  /** The production listener's port and protocol. */
  readonly productionPort: number;
  readonly protocol: elbv2.ApplicationProtocol;
  /** The test listener's port. */
  readonly testPort: number;

  constructor(scope: Construct, id: string, props: ServiceLoadBalancerProps) {
    super(scope, id);
    const { profile, vpc } = props;
    const lb = profile.loadBalancer;
    const https = profile.certificateArn !== undefined;
    this.protocol = https ? elbv2.ApplicationProtocol.HTTPS : elbv2.ApplicationProtocol.HTTP;
    this.productionPort = lb.productionPort ?? (https ? 443 : 80);
    this.testPort = lb.testPort;

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc,
      description: `${props.name}: load balancer`,
      allowAllOutbound: false,
    });
    const clients = lb.internetFacing ? ec2.Peer.anyIpv4() : ec2.Peer.ipv4(vpc.vpcCidrBlock);
    this.securityGroup.addIngressRule(
      clients,
      ec2.Port.tcp(this.productionPort),
      lb.internetFacing ? 'Production listener, from the internet' : 'Production listener, from the VPC',
    );

    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'Resource', {
      loadBalancerName: props.name,
      vpc,
      internetFacing: lb.internetFacing,
      vpcSubnets: { subnetGroupName: lb.internetFacing ? SubnetGroup.PUBLIC : SubnetGroup.PRIVATE },
      securityGroup: this.securityGroup,
      dropInvalidHeaderFields: true,
      deletionProtection: props.deletionProtection,
    });
    this.loadBalancer.logAccessLogs(props.accessLogBucket, props.name);
    Validations.of(this.securityGroup).acknowledge({
      id: 'AwsSolutions::AwsSolutions-EC23',
      reason:
        'The rule cannot read the VPC CIDR token: ingress is the VPC itself (internal balancer) or, only when the profile makes it internet-facing, the internet on the production port',
    });
    if (!props.deletionProtection) {
      Validations.of(this.loadBalancer).acknowledge({
        id: 'cdk-validator-cfnguard::elbv2_deletion_protection_enabled_check',
        reason: 'This environment does not retain data: cdk destroy removes the balancer with the rest',
      });
    }

    const targetGroup = (which: 'blue' | 'green') =>
      new elbv2.ApplicationTargetGroup(this, which === 'blue' ? 'Blue' : 'Green', {
        targetGroupName:
          which === 'blue' && props.targetGroupName !== undefined
            ? props.targetGroupName
            : `${props.name}-${which}`.slice(0, 32),
        vpc,
        port: props.containerPort,
        protocol: elbv2.ApplicationProtocol.HTTP,
        targetType: props.targetType ?? elbv2.TargetType.IP,
        deregistrationDelay: Duration.seconds(30),
        healthCheck: {
          path: props.healthCheckPath,
          healthyHttpCodes: '200',
          interval: Duration.seconds(10),
          timeout: Duration.seconds(5),
          healthyThresholdCount: 2,
          unhealthyThresholdCount: 3,
        },
      });
    this.blue = targetGroup('blue');
    this.green = props.blueGreen ? targetGroup('green') : undefined;

    const certificates = https
      ? [elbv2.ListenerCertificate.fromArn(profile.certificateArn as string)]
      : undefined;
    const listener = (name: string, port: number) =>
      this.loadBalancer.addListener(name, {
        port,
        protocol: this.protocol,
        certificates,
        sslPolicy: https ? elbv2.SslPolicy.RECOMMENDED_TLS : undefined,
        open: false,
        defaultAction: props.trafficThroughRules
          ? elbv2.ListenerAction.fixedResponse(404, { contentType: 'text/plain', messageBody: 'not found' })
          : elbv2.ListenerAction.forward([this.blue]),
      });
    this.productionListener = listener('Production', this.productionPort);
    if (!https) {
      Validations.of(this).acknowledge({
        id: 'cdk-validator-cfnguard::alb_http_to_https_redirection_check',
        reason:
          'The profile gives no certificate, so the listeners are HTTP (the plan says so); with certificateArn they are HTTPS only',
      });
    }
    if (props.trafficThroughRules) {
      this.productionRule = new elbv2.ApplicationListenerRule(this, 'ProductionRule', {
        listener: this.productionListener,
        priority: 1,
        conditions: [elbv2.ListenerCondition.pathPatterns(['/*'])],
        action: elbv2.ListenerAction.forward([this.blue]),
      });
    }
    if (props.blueGreen) {
      this.testListener = listener('Test', lb.testPort);
      this.securityGroup.addIngressRule(
        ec2.Peer.ipv4(vpc.vpcCidrBlock),
        ec2.Port.tcp(lb.testPort),
        'Test listener: the green check, from the VPC',
      );
      for (const cidr of lb.testListenerCidrs) {
        this.securityGroup.addIngressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(lb.testPort), 'Test listener');
      }
      if (props.trafficThroughRules) {
        this.testRule = new elbv2.ApplicationListenerRule(this, 'TestRule', {
          listener: this.testListener,
          priority: 1,
          conditions: [elbv2.ListenerCondition.pathPatterns(['/*'])],
          action: elbv2.ListenerAction.forward([this.blue]),
        });
      }
    }
  }

  /** The URL of the service's readiness path through the test listener (the green side). */
  testUrl(path: string): string | undefined {
    if (!this.testListener) return undefined;
    const scheme = this.protocol === elbv2.ApplicationProtocol.HTTPS ? 'https' : 'http';
    return `${scheme}://${this.loadBalancer.loadBalancerDnsName}:${this.testPort}${path}`;
  }
}
