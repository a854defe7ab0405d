import { z } from 'zod';
import { ConfigError } from './errors';
import { ACCOUNT_ID, accountIdSchema as accountId, regionNameSchema as regionName } from './aws-schemas';

/** Where the governance settings live, for error messages. */
export const GOVERNANCE_FILE = 'infra/lib/config/governance.ts';

/** The personas seed 004 §1.1 gives a role each ("badges"). */
export const PERSONAS = ['developer', 'qa', 'operator'] as const;
/** One of {@link PERSONAS}. */
export type PersonaName = (typeof PERSONAS)[number];

/** The environments whose accounts each persona gets a role in, unless the settings say otherwise. */
export const DEFAULT_PERSONA_ENVIRONMENTS: Readonly<Record<PersonaName, readonly string[]>> = {
  developer: ['dev'],
  qa: ['staging'],
  operator: ['prod'],
};

/** The two OUs of seed 004 §1.1: `DevOU` and `ProdOU`. */
export const ORGANIZATIONAL_UNITS = ['dev', 'prod'] as const;
/** One of {@link ORGANIZATIONAL_UNITS}. */
export type OrganizationalUnitName = (typeof ORGANIZATIONAL_UNITS)[number];

const SAML_PROVIDER_ARN = /^arn:aws[a-z-]*:iam::\d{12}:saml-provider\/[\w+=,.@-]{1,128}$/;

const environmentName = z
  .string()
  .regex(/^[a-z][a-z0-9-]*$/, 'must be an environment name such as dev, staging or prod');
const ouName = z.string().min(1, 'must not be empty').max(128, 'must be at most 128 characters (an OU name)');

const unique = <T>(values: readonly T[]): boolean => new Set(values).size === values.length;

/**
 * Who may assume a persona role: a 12-digit account ID (its IAM principals, e.g. the management
 * account's users, seed 004 §1.1) or the ARN of an IAM SAML provider (IAM Identity Center or
 * another IdP set up as a SAML application) in the account the role lives in.
 */
const trustedPrincipal = z
  .string()
  .refine(
    (v) => ACCOUNT_ID.test(v) || SAML_PROVIDER_ARN.test(v),
    'must be a 12-digit AWS account ID or a SAML provider ARN, arn:aws:iam::<account>:saml-provider/<name>',
  );

/** Which principal one persona trusts and in which environments it gets a role. */
function personaSchema(persona: PersonaName) {
  return z
    .object({
      /** Who may assume the role. */
      trustedPrincipal,
      /**
       * The environments whose accounts get this persona's role.
       * @default - developer: dev; qa: staging; operator: prod
       */
      environments: z
        .array(environmentName)
        .min(1, 'must name at least one environment (leave the persona out to create no role)')
        .refine(unique, 'must not repeat an environment')
        .default([...DEFAULT_PERSONA_ENVIRONMENTS[persona]]),
    })
    .strict();
}

/** What the defaults of the governance settings derive from. */
export interface GovernanceDefaults {
  /** The project prefix from README.md. */
  readonly prefix: string;
  /** The regions of the environment profiles: the default allowed regions, and the least ones. */
  readonly regions: readonly string[];
  /**
   * The environments of the profiles; when given, persona environments must be among them.
   * @default - persona environments are not checked
   */
  readonly environments?: readonly string[];
}

/** The governance settings when enabled: every field validated, defaults filled in. */
export function enabledGovernanceSchema(defaults: GovernanceDefaults) {
  const { prefix } = defaults;
  return z
    .object({
      enabled: z.literal(true),
      /** The AWS Organizations management account: the governance stack deploys there. */
      managementAccount: accountId,
      /** The organization's root, the parent of both OUs. */
      organizationRootId: z
        .string()
        .regex(
          /^r-[0-9a-z]{4,32}$/,
          'must be an organization root ID, "r-" then 4 to 32 lowercase letters or digits',
        ),
      /**
       * The only regions member accounts may use (global services aside).
       * @default - the regions of the environment profiles
       */
      regions: z
        .array(regionName)
        .min(1, 'must allow at least one region')
        .refine(unique, 'must not repeat a region')
        .default([...new Set(defaults.regions)]),
      /**
       * The role exempt from the guardrails, in every member account: the only one that may delete
       * prod databases and buckets, touch CloudTrail or work outside the allowed regions.
       * @default - `<prefix>-break-glass`
       */
      breakGlassRoleName: z
        .string()
        .regex(/^[\w+=,.@-]{1,64}$/, 'must be an IAM role name: 1 to 64 letters, digits or +=,.@_-')
        .default(`${prefix}-break-glass`),
      /**
       * Names of the two OUs.
       * @default - `<prefix>-dev` and `<prefix>-prod`
       */
      ous: z
        .object({ dev: ouName.default(`${prefix}-dev`), prod: ouName.default(`${prefix}-prod`) })
        .strict()
        .refine((ous) => ous.dev !== ous.prod, {
          message: 'dev and prod must be different OUs',
          path: ['prod'],
        })
        .default({ dev: `${prefix}-dev`, prod: `${prefix}-prod` }),
      /**
       * The OU of the staging account. Seed 004 puts it in ProdOU, under the prod guardrails (its
       * databases and buckets then survive only a break-glass deletion).
       * @default 'prod'
       */
      stagingOu: z.enum(ORGANIZATIONAL_UNITS).default('prod'),
      /** The persona roles; a persona left out gets no role. */
      personas: z
        .object({
          developer: personaSchema('developer').optional(),
          qa: personaSchema('qa').optional(),
          operator: personaSchema('operator')
            .refine((p) => ACCOUNT_ID.test(p.trustedPrincipal), {
              path: ['trustedPrincipal'],
              message:
                'must be a 12-digit account ID: the operator role requires MFA (aws:MultiFactorAuthPresent), which STS sets for IAM principals that signed in with MFA but not for SAML federation',
            })
            .optional(),
        })
        .strict(),
    })
    .strict();
}

/** The governance settings when disabled: nothing is required, what is written is still checked. */
export function disabledGovernanceSchema(defaults: GovernanceDefaults) {
  return enabledGovernanceSchema(defaults)
    .partial()
    .extend({ enabled: z.literal(false) });
}

/** The governance settings as written: `{ enabled: false }` or the full settings. */
export type GovernanceInput =
  z.input<ReturnType<typeof disabledGovernanceSchema>> | z.input<ReturnType<typeof enabledGovernanceSchema>>;

/** The validated settings of an enabled governance stack. */
export type EnabledGovernanceConfig = z.output<ReturnType<typeof enabledGovernanceSchema>>;

/** The validated governance settings: off, or on with every default filled in. */
export type GovernanceConfig = { readonly enabled: false } | EnabledGovernanceConfig;

function formatIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)';
  return `  - ${path}: ${issue.message}`;
}

/** Checks against the environment profiles that the schema alone cannot make. */
function crossCheck(config: EnabledGovernanceConfig, defaults: GovernanceDefaults): string[] {
  const problems: string[] = [];
  for (const region of new Set(defaults.regions)) {
    if (!config.regions.includes(region)) {
      problems.push(
        `  - regions: ${config.regions.join(', ')} leaves out ${region}, the region of an environment profile; the region guardrail would stop every deployment there, so add it`,
      );
    }
  }
  const known = defaults.environments;
  if (known) {
    for (const persona of PERSONAS) {
      config.personas[persona]?.environments.forEach((env, i) => {
        if (!known.includes(env)) {
          problems.push(
            `  - personas.${persona}.environments.${i}: ${env} is not an environment (known: ${known.join(', ')})`,
          );
        }
      });
    }
  }
  return problems;
}

/**
 * Validates the governance settings (seed 004 §1.1: OUs, SCPs and persona roles).
 *
 * Disabled settings are still checked as far as they are written, so that turning them on later
 * brings no surprise; the result is then just `{ enabled: false }`.
 *
 * @param input the settings as written (normally `governance` from `governance.ts`)
 * @param defaults the prefix and the profiles' regions (and environments) the defaults and checks use
 * @throws ConfigError listing every problem at once, one line each with its path
 */
export function parseGovernance(
  input: unknown,
  defaults: GovernanceDefaults,
  source = GOVERNANCE_FILE,
): GovernanceConfig {
  const fail = (problems: readonly string[]): never => {
    throw new ConfigError(
      [
        `${source}: ${problems.length} problem${problems.length === 1 ? '' : 's'} in the governance settings; fix each and run again:`,
        ...problems,
      ].join('\n'),
    );
  };
  const head = z
    .object({ enabled: z.boolean('must be true or false') })
    .loose()
    .safeParse(input);
  if (!head.success) {
    return fail(head.error.issues.map(formatIssue));
  }
  if (!head.data.enabled) {
    const result = disabledGovernanceSchema(defaults).safeParse(input);
    return result.success ? { enabled: false } : fail(result.error.issues.map(formatIssue));
  }
  const result = enabledGovernanceSchema(defaults).safeParse(input);
  if (!result.success) {
    return fail(result.error.issues.map(formatIssue));
  }
  const problems = crossCheck(result.data, defaults);
  return problems.length > 0 ? fail(problems) : result.data;
}
