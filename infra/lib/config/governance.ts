import type { GovernanceInput } from './governance-schema';

/**
 * The optional governance stack of an AWS Organizations management account (seed 004 §1.1): the
 * dev and prod OUs, their service control policies, and the persona roles of the member accounts.
 * Data, validated with `parseGovernance` (`governance-schema.ts`) when the CDK app loads it.
 *
 * Off by default: it needs an organization with all features enabled and credentials of its
 * management account. To turn it on, replace the line below with settings such as:
 *
 * ```ts
 * export const governance = {
 *   enabled: true,
 *   managementAccount: '111111111111',
 *   organizationRootId: 'r-ab12',
 *   // regions: the profiles' regions unless listed here
 *   // breakGlassRoleName: '<prefix>-break-glass', ous: { dev: '<prefix>-dev', prod: '<prefix>-prod' }
 *   stagingOu: 'prod', // seed 004: Account-Staging sits in ProdOU
 *   personas: {
 *     developer: { trustedPrincipal: '111111111111' }, // the management account's IAM users
 *     qa: { trustedPrincipal: '111111111111' },
 *     operator: { trustedPrincipal: '111111111111' }, // an account ID: the role requires MFA
 *   },
 * } satisfies GovernanceInput;
 * ```
 *
 * Create the break-glass role (same name) in every member account yourself, outside these stacks,
 * and move each environment's account into its OU once the OUs exist.
 */
export const governance = { enabled: false } satisfies GovernanceInput;
