/**
 * What the Lambda and the ECS appspecs share: checking the fields a caller gives (naming the first bad
 * one and quoting its value), writing YAML scalars, and reading an appspec back into its one resource.
 */
import { parse, stringify } from 'yaml';
import { z } from 'zod';
import { DeliveryError } from './errors.js';
import { describeIssues } from './schemas.js';

/**
 * `input` checked against `schema`; throws BAD_INPUT `<source>: <path> <value> <message>` for the first
 * bad field (`missing` when it is absent).
 */
export function checkFields<S extends z.ZodType>(schema: S, input: unknown, source: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) {
    return result.data;
  }
  const issue = result.error.issues[0];
  const path = issue?.path ?? [];
  let value: unknown = input;
  for (const key of path) {
    value =
      typeof value === 'object' && value !== null ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  }
  const quoted = value === undefined ? 'missing' : JSON.stringify(value);
  throw new DeliveryError(
    'BAD_INPUT',
    `${source}: ${path.length > 0 ? path.map(String).join('.') : 'input'} ${quoted} ${issue?.message ?? 'is invalid'}`,
  );
}

/** A YAML scalar as YAML would write it (quoted only when a plain scalar would read as something else). */
export function yamlScalar(value: string): string {
  return stringify(value).trimEnd();
}

/** What {@link readAppSpec} reports errors as. */
export interface AppSpecKind {
  /** The text's name in the YAML error, e.g. `ECS appspec`. */
  readonly label: string;
  /** Ends "not the appspec of …" in the shape errors, e.g. `one ECS service`. */
  readonly holds: string;
  /** The one resource, in "Resources.0 must name one …", e.g. `service`. */
  readonly resource: string;
}

/**
 * Reads appspec `yaml` against `schema` and returns the document and its one resource (the single
 * value of `Resources[0]`). Throws BAD_INPUT when the text is not YAML, does not fit the schema, or
 * names other than one resource.
 */
export function readAppSpec<D extends { Resources: readonly Readonly<Record<string, unknown>>[] }>(
  yaml: string,
  schema: z.ZodType<D>,
  kind: AppSpecKind,
): { document: D; resource: D['Resources'][number][string] } {
  let document: unknown;
  try {
    document = parse(yaml);
  } catch (error) {
    throw new DeliveryError('BAD_INPUT', `${kind.label} is not valid YAML: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const result = schema.safeParse(document);
  if (!result.success) {
    throw new DeliveryError(
      'BAD_INPUT',
      `${kind.label} is not the appspec of ${kind.holds}: ${describeIssues(result.error)}`,
    );
  }
  const resources = Object.values(result.data.Resources[0] ?? {}) as D['Resources'][number][string][];
  const resource = resources[0];
  if (resources.length !== 1 || resource === undefined) {
    throw new DeliveryError(
      'BAD_INPUT',
      `${kind.label} is not the appspec of ${kind.holds}: Resources.0 must name one ${kind.resource}`,
    );
  }
  return { document: result.data, resource };
}

/**
 * The schema of an appspec document as CodeDeploy reads it: version 0.0, exactly one resource of
 * `type` (`Resources: [{ <name>: { Type, Properties } }]`) with `properties`, and hooks that are each
 * a `hook`. `resource` names the resource in the error, e.g. `function`.
 */
export function appSpecDocumentSchema<P extends z.ZodType, H extends z.ZodType>(
  type: string,
  properties: P,
  resource: string,
  hook: H,
) {
  return z.object({
    version: z.union([z.literal(0), z.literal('0.0')]),
    Resources: z
      .array(z.record(z.string(), z.object({ Type: z.literal(type), Properties: properties })))
      .length(1, `must hold exactly one ${resource}`),
    Hooks: z.array(hook).optional(),
  });
}
