import { z } from 'zod';
import { appSpecDocumentSchema, checkFields, readAppSpec, yamlScalar } from '../../appspec-document.js';
import { aliasNameSchema, functionNameSchema, versionSchema } from '../../schemas.js';

/** The traffic hooks of a Lambda deployment: the names of the functions CodeDeploy calls. */
export interface TrafficHooks {
  /**
   * Function CodeDeploy calls before it shifts any traffic (it tests the new version).
   * @default - no hook
   */
  readonly beforeAllowTraffic?: string;
  /**
   * Function CodeDeploy calls after all traffic has shifted (it tests the alias).
   * @default - no hook
   */
  readonly afterAllowTraffic?: string;
}

/** What an appspec of a Lambda deployment says: which alias moves from which version to which. */
export interface AppSpecInput extends TrafficHooks {
  /** The function's name (not its ARN). */
  readonly functionName: string;
  /** The alias CodeDeploy shifts, e.g. `live`. */
  readonly alias: string;
  /** The version the alias points to now. */
  readonly currentVersion: string;
  /** The version the alias is to point to; must differ from `currentVersion`. */
  readonly targetVersion: string;
}

const appSpecInputSchema = z
  .object({
    functionName: functionNameSchema,
    alias: aliasNameSchema,
    currentVersion: versionSchema,
    targetVersion: versionSchema,
    beforeAllowTraffic: functionNameSchema.optional(),
    afterAllowTraffic: functionNameSchema.optional(),
  })
  .refine((input) => input.currentVersion !== input.targetVersion, {
    message: 'must differ from currentVersion',
    path: ['targetVersion'],
  });

/**
 * Renders the appspec YAML of a Lambda CodeDeploy deployment.
 *
 * Versions are always double-quoted (CodeDeploy wants strings); the `Hooks` section is left out when
 * there is no hook. Throws {@link DeliveryError} `BAD_INPUT`, quoting the bad value, when a name is not a
 * valid Lambda name, a version is not a positive integer, or the two versions are equal.
 */
export function renderAppSpec(input: AppSpecInput): string {
  const spec = checkFields(appSpecInputSchema, input, 'cannot render appspec');
  const lines = [
    'version: 0.0',
    'Resources:',
    `  - ${yamlScalar(spec.functionName)}:`,
    '      Type: AWS::Lambda::Function',
    '      Properties:',
    `        Name: ${yamlScalar(spec.functionName)}`,
    `        Alias: ${yamlScalar(spec.alias)}`,
    `        CurrentVersion: "${spec.currentVersion}"`,
    `        TargetVersion: "${spec.targetVersion}"`,
  ];
  const hooks = [
    ...(spec.beforeAllowTraffic ? [`  - BeforeAllowTraffic: ${yamlScalar(spec.beforeAllowTraffic)}`] : []),
    ...(spec.afterAllowTraffic ? [`  - AfterAllowTraffic: ${yamlScalar(spec.afterAllowTraffic)}`] : []),
  ];
  if (hooks.length > 0) {
    lines.push('Hooks:', ...hooks);
  }
  return `${lines.join('\n')}\n`;
}

// A version written without quotes reads as a number; accept it and compare as a string.
const versionField = z.union([z.string(), z.number().transform(String)]);

const lambdaAppSpecSchema = appSpecDocumentSchema(
  'AWS::Lambda::Function',
  z.object({
    Name: z.string(),
    Alias: z.string(),
    CurrentVersion: versionField,
    TargetVersion: versionField,
  }),
  'function',
  z.union([
    z.strictObject({ BeforeAllowTraffic: z.string() }),
    z.strictObject({ AfterAllowTraffic: z.string() }),
  ]),
);

/**
 * Reads back an appspec written by {@link renderAppSpec} (or by hand, in the same shape).
 *
 * Throws {@link DeliveryError} `BAD_INPUT` when the text is not YAML, is not the appspec of one Lambda
 * function, or holds a value {@link renderAppSpec} would refuse.
 */
export function parseAppSpec(yaml: string): AppSpecInput {
  const { document, resource } = readAppSpec(yaml, lambdaAppSpecSchema, {
    label: 'appspec',
    holds: 'one Lambda function',
    resource: 'function',
  });
  const { Name, Alias, CurrentVersion, TargetVersion } = resource.Properties;
  let hooks: TrafficHooks = {};
  for (const hook of document.Hooks ?? []) {
    hooks =
      'BeforeAllowTraffic' in hook
        ? { ...hooks, beforeAllowTraffic: hook.BeforeAllowTraffic }
        : { ...hooks, afterAllowTraffic: hook.AfterAllowTraffic };
  }
  return checkFields(
    appSpecInputSchema,
    {
      functionName: Name,
      alias: Alias,
      currentVersion: CurrentVersion,
      targetVersion: TargetVersion,
      ...hooks,
    },
    'appspec is invalid',
  );
}
