import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as organizations from 'aws-cdk-lib/aws-organizations';
import type { Construct } from 'constructs';
import { applyStandardTags } from '../aspects/tags';
import {
  ORGANIZATIONAL_UNITS,
  type EnabledGovernanceConfig,
  type GovernanceConfig,
  type OrganizationalUnitName,
} from '../config/governance-schema';
import { Naming } from '@ias/targets';
import {
  baselineGuardrails,
  checkScpSize,
  prodDataGuardrails,
  type ScpDocument,
} from './service-control-policies';

/**
 * The region of the governance stack. AWS Organizations has a single endpoint, in us-east-1, and
 * CloudFormation manages its resources from there.
 */
export const ORGANIZATIONS_REGION = 'us-east-1';

/** The name a governance stack gets: `<prefix>-governance`. */
export function governanceStackName(prefix: string): string {
  return `${prefix}-governance`;
}

/**
 * The OU an environment's account belongs in: dev in the dev OU, prod in the prod OU, staging
 * where `stagingOu` says (seed 004: ProdOU).
 *
 * @returns undefined for an environment the governance settings do not place
 */
export function organizationalUnitOf(
  config: EnabledGovernanceConfig,
  environment: string,
): OrganizationalUnitName | undefined {
  switch (environment) {
    case 'dev':
    case 'prod':
      return environment;
    case 'staging':
      return config.stagingOu;
    default:
      return undefined;
  }
}

/** Props of {@link GovernanceStack}. */
export interface GovernanceStackProps extends StackProps {
  /** The project prefix from README.md. */
  readonly prefix: string;
  /** The validated, enabled governance settings. */
  readonly governance: EnabledGovernanceConfig;
}

/**
 * The organization's guardrails, deployed in the management account (seed 004 §1.1): the dev and
 * prod OUs under the root, and the service control policies attached to them.
 *
 * Two SCPs rather than one per guardrail: AWS Organizations attaches at most five SCPs to an OU,
 * `FullAWSAccess` included, so this leaves room for the organization's own.
 */
export class GovernanceStack extends Stack {
  /**
   * The OUs under the root, seed 004's DevOU (the dev account) and ProdOU (the prod account, and
   * staging unless `stagingOu` is 'dev').
   */
  readonly ous: Readonly<Record<OrganizationalUnitName, organizations.CfnOrganizationalUnit>>;
  /** No public databases, no CloudTrail tampering, allowed regions only: on both OUs. */
  readonly guardrails: organizations.CfnPolicy;
  /** Databases and buckets deleted by the break-glass role only: on the prod OU. */
  readonly prodGuardrails: organizations.CfnPolicy;

  constructor(scope: Construct, id: string, props: GovernanceStackProps) {
    super(scope, id, props);
    const { prefix, governance } = props;
    applyStandardTags(this, new Naming(prefix, 'governance'));

    // Construct IDs DevOu and ProdOu, as they were before the OUs were built in one loop.
    const idOf = (ou: OrganizationalUnitName) => `${ou[0]?.toUpperCase()}${ou.slice(1)}Ou`;
    this.ous = Object.fromEntries(
      ORGANIZATIONAL_UNITS.map((ou) => [
        ou,
        new organizations.CfnOrganizationalUnit(this, idOf(ou), {
          name: governance.ous[ou],
          parentId: governance.organizationRootId,
        }),
      ]),
    ) as Record<OrganizationalUnitName, organizations.CfnOrganizationalUnit>;

    this.guardrails = this.serviceControlPolicy('Guardrails', {
      name: `${prefix}-guardrails`,
      description: 'No publicly accessible databases, no CloudTrail tampering, allowed regions only',
      document: baselineGuardrails(governance),
      targets: [this.ous.dev, this.ous.prod],
    });
    this.prodGuardrails = this.serviceControlPolicy('ProdGuardrails', {
      name: `${prefix}-prod-guardrails`,
      description: `Databases and buckets are deleted only by the ${governance.breakGlassRoleName} role`,
      document: prodDataGuardrails(governance),
      targets: [this.ous.prod],
    });

    const members = (ou: OrganizationalUnitName) =>
      ['dev', 'staging', 'prod'].filter((env) => organizationalUnitOf(governance, env) === ou).join(' and ');
    for (const ou of ORGANIZATIONAL_UNITS) {
      new CfnOutput(this, `${idOf(ou)}Id`, {
        value: this.ous[ou].attrId,
        description: `${governance.ous[ou]}: move the ${members(ou)} account(s) here`,
      });
    }
  }

  private serviceControlPolicy(
    id: string,
    props: {
      name: string;
      description: string;
      document: ScpDocument;
      targets: organizations.CfnOrganizationalUnit[];
    },
  ): organizations.CfnPolicy {
    checkScpSize(props.name, props.document);
    return new organizations.CfnPolicy(this, id, {
      name: props.name,
      description: props.description,
      type: 'SERVICE_CONTROL_POLICY',
      content: props.document,
      targetIds: props.targets.map((ou) => ou.attrId),
    });
  }
}

/**
 * Adds the governance stack, `<prefix>-governance`, to `scope` (the App) when the settings enable
 * it, in the management account and {@link ORGANIZATIONS_REGION}.
 *
 * @returns the stack, or undefined when governance is disabled (nothing is synthesized)
 */
export function buildGovernanceStack(
  scope: Construct,
  governance: GovernanceConfig,
  prefix: string,
): GovernanceStack | undefined {
  if (!governance.enabled) {
    return undefined;
  }
  const stackName = governanceStackName(prefix);
  return new GovernanceStack(scope, stackName, {
    stackName,
    prefix,
    governance,
    env: { account: governance.managementAccount, region: ORGANIZATIONS_REGION },
    description: 'AWS Organizations OUs and service control policies (seed 004 §1.1)',
  });
}
