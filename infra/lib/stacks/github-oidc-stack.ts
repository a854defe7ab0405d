import { Duration, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';

/** GitHub's OIDC issuer, for `token.actions.githubusercontent.com` tokens. */
export const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';

/** One role a GitHub Actions workflow may assume. */
export interface GithubRoleSpec {
  /** The role's name (prefixed). */
  readonly roleName: string;
  readonly description: string;
  /**
   * The token subjects it trusts, exactly: `repo:<owner>/<repo>:environment:<env>` for a deploy
   * behind a GitHub environment, `repo:<owner>/<repo>:pull_request` for a pull request's diff.
   */
  readonly subjects: readonly string[];
  /** What it may do. */
  readonly statements: readonly iam.PolicyStatement[];
  /** Findings of its statements to acknowledge, with the reason. */
  readonly acknowledgements?: readonly { id: string; reason: string }[];
  /** Longest session (the workflow jobs' time-outs). @default 1 hour */
  readonly maxSessionDuration?: Duration;
}

/** Props of {@link GithubOidcStack}. */
export interface GithubOidcStackProps extends StackProps {
  /** The roles to create (more with {@link GithubOidcStack.addRole}). @default - none */
  readonly roles?: readonly GithubRoleSpec[];
  /**
   * Create the account's GitHub OIDC provider here; false when another stack of this project in
   * the same account does (IAM holds one provider per issuer), which is then deployed first.
   * @default true
   */
  readonly createProvider?: boolean;
}

/**
 * GitHub Actions' way into one AWS account without stored keys (seed 000's workflows, done
 * safely): the account's OIDC provider for GitHub, and roles whose trust is pinned to this
 * repository and to a GitHub environment (deploys) or to pull requests (the read-only diff), with
 * the `sts.amazonaws.com` audience. One per account: IAM holds one provider per issuer.
 */
export class GithubOidcStack extends Stack {
  readonly provider: iam.IOidcProvider;
  private readonly roleMap = new Map<string, iam.Role>();

  constructor(scope: Construct, id: string, props: GithubOidcStackProps) {
    super(scope, id, props);
    this.provider =
      (props.createProvider ?? true)
        ? new iam.OidcProviderNative(this, 'GitHub', {
            url: `https://${GITHUB_OIDC_HOST}`,
            clientIds: ['sts.amazonaws.com'],
          })
        : iam.OidcProviderNative.fromOidcProviderArn(
            this,
            'GitHub',
            `arn:${this.partition}:iam::${this.account}:oidc-provider/${GITHUB_OIDC_HOST}`,
          );
    (props.roles ?? []).forEach((spec) => this.addRole(spec));
  }

  /** The roles, by name. */
  get roles(): ReadonlyMap<string, iam.Role> {
    return this.roleMap;
  }

  /** Adds a role whose trust is pinned to the spec's token subjects. */
  addRole(spec: GithubRoleSpec): iam.Role {
    const role = new iam.Role(this, spec.roleName, {
      roleName: spec.roleName,
      description: spec.description,
      maxSessionDuration: spec.maxSessionDuration ?? Duration.hours(1),
      assumedBy: new iam.WebIdentityPrincipal(this.provider.oidcProviderArn, {
        StringEquals: {
          [`${GITHUB_OIDC_HOST}:aud`]: 'sts.amazonaws.com',
          [`${GITHUB_OIDC_HOST}:sub`]: [...spec.subjects],
        },
      }),
    });
    spec.statements.forEach((s) => role.addToPolicy(s));
    if (spec.acknowledgements && spec.acknowledgements.length > 0) {
      Validations.of(role).acknowledge(...spec.acknowledgements);
    }
    this.roleMap.set(spec.roleName, role);
    return role;
  }
}
