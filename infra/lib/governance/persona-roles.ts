import { Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { Construct } from 'constructs';
import { PERSONAS, type GovernanceConfig, type PersonaName } from '../config/governance-schema';
import type { Naming } from '@ias/targets';

/** How long a persona session lasts at most. */
export const PERSONA_MAX_SESSION = Duration.hours(1);

/** One persona role to create in an environment's account, and whom it trusts. */
export interface PersonaGrant {
  /** The persona. */
  readonly persona: PersonaName;
  /** A 12-digit account ID or an IAM SAML provider ARN. */
  readonly trustedPrincipal: string;
}

/**
 * The persona roles an environment's account gets (seed 004 §1.1's badges): by default the
 * developer in dev, QA in staging, the operator in prod.
 *
 * @returns none when governance is disabled
 */
export function personaRolesFor(governance: GovernanceConfig, environment: string): readonly PersonaGrant[] {
  if (!governance.enabled) {
    return [];
  }
  return PERSONAS.flatMap((persona) => {
    const settings = governance.personas[persona];
    return settings?.environments.includes(environment)
      ? [{ persona, trustedPrincipal: settings.trustedPrincipal }]
      : [];
  });
}

/** Props of {@link PersonaRoles}. */
export interface PersonaRolesProps {
  /** Names of the environment: roles are `<prefix>-<env>-<persona>`. */
  readonly naming: Naming;
  /** The personas to create (see {@link personaRolesFor}). */
  readonly personas: readonly PersonaGrant[];
}

const ACCOUNT_ID = /^\d{12}$/;

/**
 * The persona roles of one member account, assumed from the trusted principal for at most an hour:
 *
 * - developer: AdministratorAccess (meant for dev, where developers may change anything);
 * - qa: ReadOnlyAccess (meant for staging: observe and record, change nothing);
 * - operator: ReadOnlyAccess plus starting the project's pipelines and approving their manual
 *   approvals, and only with MFA (meant for prod).
 *
 * IAM roles live in the account they grant access to, so a stack of each environment instantiates
 * this construct; the governance stack in the management account does not.
 */
export class PersonaRoles extends Construct {
  /** The roles by persona. */
  readonly roles: ReadonlyMap<PersonaName, iam.IRole>;

  constructor(scope: Construct, id: string, props: PersonaRolesProps) {
    super(scope, id);
    const { naming } = props;
    const roles = new Map<PersonaName, iam.IRole>();
    for (const { persona, trustedPrincipal } of props.personas) {
      if (roles.has(persona)) {
        throw new Error(`PersonaRoles: the ${persona} persona is listed twice for ${naming.base}`);
      }
      roles.set(persona, this.personaRole(persona, trustedPrincipal, naming));
    }
    this.roles = roles;
  }

  private personaRole(persona: PersonaName, trustedPrincipal: string, naming: Naming): iam.Role {
    const id = { developer: 'Developer', qa: 'Qa', operator: 'Operator' }[persona];
    const managedPolicy = persona === 'developer' ? 'AdministratorAccess' : 'ReadOnlyAccess';
    const role = new iam.Role(this, id, {
      roleName: naming.name(persona),
      assumedBy: this.trustedBy(id, persona, trustedPrincipal),
      maxSessionDuration: PERSONA_MAX_SESSION,
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName(managedPolicy)],
      description: {
        developer: `${naming.base} developer: full access to this account`,
        qa: `${naming.base} QA: read-only access to this account`,
        operator: `${naming.base} operator (MFA): read-only, start and approve the ${naming.prefix} pipelines`,
      }[persona],
    });
    Validations.of(role).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${managedPolicy}]`,
      reason: `The ${persona} persona is a person's role: AWS's ${managedPolicy} managed policy is the access seed 004 gives this badge, and AWS keeps it current as services are added`,
    });
    if (persona === 'operator') {
      this.allowPipelineOperation(role, naming);
    }
    return role;
  }

  /** Whom a persona role trusts: an account's IAM principals (with MFA for the operator) or a SAML provider. */
  private trustedBy(id: string, persona: PersonaName, trustedPrincipal: string): iam.IPrincipal {
    if (ACCOUNT_ID.test(trustedPrincipal)) {
      const account = new iam.AccountPrincipal(trustedPrincipal);
      return persona === 'operator'
        ? account.withConditions({ Bool: { 'aws:MultiFactorAuthPresent': 'true' } })
        : account;
    }
    if (persona === 'operator') {
      // STS does not set aws:MultiFactorAuthPresent for SAML federation, so the MFA condition
      // would lock everyone out (the settings schema refuses this too).
      throw new Error(
        `PersonaRoles: the operator role requires MFA and must trust an account ID, not ${trustedPrincipal}`,
      );
    }
    const provider = iam.SamlProvider.fromSamlProviderArn(this, `${id}SamlProvider`, trustedPrincipal);
    return new iam.SamlConsolePrincipal(provider);
  }

  /**
   * Lets the operator start the project's pipelines (`<prefix>-*`), read them and answer their
   * manual approvals (whose resource is `<pipeline>/<stage>/<action>`, which the same pattern
   * matches since `*` spans slashes).
   */
  private allowPipelineOperation(role: iam.Role, naming: Naming): void {
    const stack = Stack.of(this);
    const resource = `${naming.prefix}-*`;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'OperateProjectPipelines',
        actions: [
          'codepipeline:Get*',
          'codepipeline:List*',
          'codepipeline:PutApprovalResult',
          'codepipeline:StartPipelineExecution',
        ],
        resources: [stack.formatArn({ service: 'codepipeline', resource })],
      }),
    );
    // How cdk-nag renders the ARN: pseudo parameters as <AWS::...>, the partition resolved
    // when the stack's region is known.
    const known = !Token.isUnresolved(stack.region);
    const partition = known ? (RegionInfo.get(stack.region).partition ?? 'aws') : '<AWS::Partition>';
    const region = known ? stack.region : '<AWS::Region>';
    const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
    const reason =
      "The operator reads and runs the project's own pipelines, all named <prefix>-*, and approves their manual approval actions under them";
    for (const finding of [
      'Action::codepipeline:Get*',
      'Action::codepipeline:List*',
      `Resource::arn:${partition}:codepipeline:${region}:${account}:${resource}`,
    ]) {
      Validations.of(role).acknowledge({ id: `AwsSolutions::AwsSolutions-IAM5[${finding}]`, reason });
    }
  }
}
