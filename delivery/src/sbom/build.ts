/**
 * Builds the SBOM of one workspace's production dependencies with CycloneDX's npm tool
 * (`@cyclonedx/cyclonedx-npm`, a root dev dependency), from the installed tree: it runs `npm ls`, so
 * the repository must be installed (`npm ci`) first. Built once with the artifact, in the same build.
 *
 * @see https://github.com/CycloneDX/cyclonedx-node-npm#usage
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, normalize } from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { DeliveryError, describeError } from '../errors.js';
import { readSbom, sbomComponents, type Sbom } from './sbom.js';

/** The CycloneDX versions built: those of the tool that carry everything read here. */
export const SBOM_SPEC_VERSIONS = ['1.5', '1.6'] as const;

/** A CycloneDX version {@link buildSbom} writes. */
export type SbomSpecVersion = (typeof SBOM_SPEC_VERSIONS)[number];

/** Props of {@link buildSbom}. */
export interface BuildSbomOptions {
  /**
   * The workspace: its folder from the repository root (`app/functions/allocate-order`) or its
   * package name (`@ias/fn-allocate-order`), one of the root package.json's `workspaces`.
   */
  readonly workspace: string;
  /** The repository root: the folder of the package.json that lists the workspaces, installed. */
  readonly repoRoot: string;
  /** The CycloneDX version. @default '1.6' */
  readonly specVersion?: SbomSpecVersion;
}

/** A workspace of the repository. */
export interface Workspace {
  /** Its package name. */
  readonly name: string;
  /** Its folder from the repository root. */
  readonly directory: string;
}

/** What {@link buildSbom} made. */
export interface BuiltSbom {
  readonly workspace: Workspace;
  /** The SBOM as the tool wrote it: what to store beside the artifact. */
  readonly json: string;
  /** The SBOM, read back. */
  readonly sbom: Sbom;
  /** How many components it lists, nested ones included. */
  readonly componentCount: number;
}

const manifestSchema = z.object({ name: z.string().min(1), workspaces: z.array(z.string()).optional() });

async function readManifest(path: string): Promise<z.infer<typeof manifestSchema>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new DeliveryError('BAD_INPUT', `${path}: cannot read it: ${describeError(error)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    throw new DeliveryError('BAD_INPUT', `${path}: not a package.json with a name`);
  }
  return parsed.data;
}

/**
 * The workspace named `workspace` (its folder or its package name) among the root package.json's
 * `workspaces` (folders, as this repository lists them; glob patterns are not expanded).
 *
 * @throws DeliveryError (`BAD_INPUT`) naming the workspaces there are
 */
export async function findWorkspace(repoRoot: string, workspace: string): Promise<Workspace> {
  const root = await readManifest(join(repoRoot, 'package.json'));
  const wanted = normalize(workspace).replace(/[/\\]+$/, '');
  const all: Workspace[] = [];
  for (const folder of root.workspaces ?? []) {
    const directory = normalize(folder).replace(/[/\\]+$/, '');
    const { name } = await readManifest(join(repoRoot, directory, 'package.json'));
    all.push({ name, directory });
  }
  const found = all.find((w) => w.directory === wanted || w.name === workspace);
  if (found === undefined) {
    throw new DeliveryError(
      'BAD_INPUT',
      `unknown workspace "${workspace}": give one of ${all.map((w) => w.directory).join(', ') || 'none'} (or its package name)`,
    );
  }
  return found;
}

/**
 * The CycloneDX JSON SBOM of `workspace`'s production dependencies (dev dependencies omitted, peer
 * and optional ones kept as npm installed them), reproducible: no timestamp or serial number, so the
 * same installed tree gives the same bytes.
 *
 * @throws DeliveryError (`BAD_INPUT`) for an unknown workspace; Error when the tool fails (its last
 * line of output says why: usually a tree that is not installed)
 */
export async function buildSbom(options: BuildSbomOptions): Promise<BuiltSbom> {
  const specVersion = options.specVersion ?? '1.6';
  if (!(SBOM_SPEC_VERSIONS as readonly string[]).includes(specVersion)) {
    throw new DeliveryError(
      'BAD_INPUT',
      `CycloneDX version "${specVersion}": use one of ${SBOM_SPEC_VERSIONS.join(', ')}`,
    );
  }
  const workspace = await findWorkspace(options.repoRoot, options.workspace);
  const args = [
    '--no-install', // the tool installed with the repository's dev dependencies, never one fetched now
    '@cyclonedx/cyclonedx-npm',
    '--workspace',
    workspace.directory,
    '--omit',
    'dev',
    '--spec-version',
    specVersion,
    '--output-format',
    'JSON',
    '--output-reproducible',
    '--output-file',
    '-',
  ];
  let json: string;
  try {
    // npx with fixed arguments and no shell: the workspace is one the root package.json lists.
    ({ stdout: json } = await promisify(execFile)('npx', args, {
      cwd: options.repoRoot,
      maxBuffer: 256 * 1024 * 1024,
      encoding: 'utf8',
    }));
  } catch (error) {
    const { code, stderr } = error as { code?: unknown; stderr?: string };
    const last = (stderr ?? '').trim().split('\n').at(-1) || describeError(error);
    throw new Error(
      `cyclonedx-npm failed for ${workspace.directory} (exit ${String(code)}): ${last} (it reads the installed tree: run npm ci first)`,
    );
  }
  const sbom = readSbom(json);
  return { workspace, json, sbom, componentCount: sbomComponents(sbom).length };
}
