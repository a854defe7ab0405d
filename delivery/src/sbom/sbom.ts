/**
 * A CycloneDX SBOM as the release ledger's readers use it: the components (npm packages, nested as
 * npm installed them) with their names and versions, and the question "which of them is PACKAGE at a
 * version in RANGE?".
 *
 * @see https://cyclonedx.org/docs/1.6/json/ for the fields read here (`bomFormat`, `specVersion`,
 * `components[].group/name/version/purl/components`)
 */
import semver from 'semver';
import { z } from 'zod';
import { DeliveryError } from '../errors.js';
import { describeIssues } from '../schemas.js';

/** One component of an SBOM, as far as it is read here; its other fields are left alone. */
export interface SbomComponent {
  /** The package name without its scope (`client-s3`). */
  readonly name: string;
  /** The npm scope, with its `@` (`@aws-sdk`), for a scoped package. */
  readonly group?: string;
  readonly version?: string;
  /** Its package URL (`pkg:npm/%40aws-sdk/client-s3@3.1175.0`). */
  readonly purl?: string;
  /** The components installed inside it (a package's own `node_modules`). */
  readonly components?: readonly SbomComponent[];
}

const componentSchema: z.ZodType<SbomComponent> = z.object({
  name: z.string().min(1),
  group: z.string().min(1).optional(),
  version: z.string().min(1).optional(),
  purl: z.string().min(1).optional(),
  get components() {
    return z.array(componentSchema).optional();
  },
});

/** The parts of a CycloneDX SBOM (JSON, spec 1.x) that are read here. */
export const sbomSchema = z.object({
  bomFormat: z.literal('CycloneDX'),
  specVersion: z.string().regex(/^1\.\d+$/, 'must be a CycloneDX 1.x version'),
  components: z.array(componentSchema).default([]),
});

/** A CycloneDX SBOM, as far as it is read here. */
export type Sbom = z.infer<typeof sbomSchema>;

/**
 * Reads the JSON text of a CycloneDX SBOM.
 *
 * @throws DeliveryError (`BAD_INPUT`) when it is not JSON, or not a CycloneDX SBOM with components
 * that each have a name (the message names the first problems by path)
 */
export function readSbom(json: string): Sbom {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new DeliveryError('BAD_INPUT', `not a CycloneDX SBOM: not JSON (${(error as Error).message})`);
  }
  const result = sbomSchema.safeParse(parsed);
  if (!result.success) {
    const first = new z.ZodError(result.error.issues.slice(0, 3));
    throw new DeliveryError('BAD_INPUT', `not a CycloneDX SBOM: ${describeIssues(first)}`);
  }
  return result.data;
}

/** An npm package name (scoped or not) and optionally a semver range of its versions. */
export interface PackageSpec {
  /** The full name, with its scope: `pg`, `@aws-sdk/client-s3`. */
  readonly name: string;
  /** A semver range (`^8`, `>=3.600 <4`). @default - any version */
  readonly range?: string;
}

/** How to write a package spec, for the messages. */
const SPEC_FORM = 'write PACKAGE[@RANGE], e.g. pg, pg@^8 or "@aws-sdk/client-s3@>=3.600 <4"';

/** A part of an npm package name, the scope's or the name's (old packages may have capitals). */
const NAME_PART = /^[a-z0-9][a-z0-9._~-]*$/i;

/** Whether `name` is an npm package name: `name`, or `@scope/name`. */
function isPackageName(name: string): boolean {
  if (!name.startsWith('@')) return NAME_PART.test(name);
  const [scope = '', bare = '', ...rest] = name.slice(1).split('/');
  return rest.length === 0 && NAME_PART.test(scope) && NAME_PART.test(bare);
}

/**
 * Reads `PACKAGE[@RANGE]`: the name is everything before the first `@` that is not a scope's.
 *
 * @throws DeliveryError (`BAD_INPUT`) quoting the spec: empty, not a package name, an empty range
 * after `@`, or a range semver cannot read
 */
export function parsePackageSpec(spec: string): PackageSpec {
  if (spec.trim() === '') {
    throw new DeliveryError('BAD_INPUT', `no package given: ${SPEC_FORM}`);
  }
  const at = spec.indexOf('@', spec.startsWith('@') ? 1 : 0);
  const name = at < 0 ? spec : spec.slice(0, at);
  const range = at < 0 ? undefined : spec.slice(at + 1);
  if (!isPackageName(name)) {
    throw new DeliveryError('BAD_INPUT', `"${spec}": "${name}" is not an npm package name; ${SPEC_FORM}`);
  }
  if (range === undefined) {
    return { name };
  }
  if (range.trim() === '') {
    throw new DeliveryError('BAD_INPUT', `"${spec}": no version range after "@"; ${SPEC_FORM}`);
  }
  if (semver.validRange(range) === null) {
    throw new DeliveryError(
      'BAD_INPUT',
      `"${spec}": "${range}" is not a semver range (e.g. ^8, ~8.11, >=3.600 <4, 8.x)`,
    );
  }
  return { name, range };
}

/** The full npm name of a component: `@scope/name`, or `name`. */
function fullName(component: SbomComponent): string {
  return component.group ? `${component.group}/${component.name}` : component.name;
}

/** Every component of the SBOM, nested ones included, depth first. */
export function sbomComponents(sbom: Sbom): SbomComponent[] {
  const all: SbomComponent[] = [];
  const visit = (components: readonly SbomComponent[] | undefined) => {
    for (const component of components ?? []) {
      all.push(component);
      visit(component.components);
    }
  };
  visit(sbom.components);
  return all;
}

/**
 * The components of `sbom` that are the package `spec` names (exactly that name, scope included) at a
 * version in its range, as `name@version`, each once, by version. Prereleases match a range like any
 * version (`4.0.0-rc.1` is in `4` and in `>=3`): the question is what an artifact contains.
 *
 * @param spec `PACKAGE[@RANGE]` (see {@link parsePackageSpec}), or one already read
 * @throws DeliveryError (`BAD_INPUT`) for a spec that cannot be read
 */
export function findComponents(sbom: Sbom, spec: string | PackageSpec): string[] {
  const { name, range } = typeof spec === 'string' ? parsePackageSpec(spec) : spec;
  const versions = new Set<string>();
  for (const component of sbomComponents(sbom)) {
    if (fullName(component) !== name) continue;
    const version = component.version ?? '';
    if (range !== undefined) {
      if (semver.valid(version) === null) continue;
      if (!semver.satisfies(version, range, { includePrerelease: true })) continue;
    }
    versions.add(version);
  }
  return [...versions].sort(byVersion).map((version) => `${name}@${version || '(no version)'}`);
}

/** Orders versions by semver, those semver cannot read after, by their text. */
function byVersion(a: string, b: string): number {
  const validA = semver.valid(a) !== null;
  const validB = semver.valid(b) !== null;
  if (validA && validB) return semver.compare(a, b);
  if (validA !== validB) return validA ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
