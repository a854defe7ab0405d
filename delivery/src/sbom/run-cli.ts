import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DeliveryError, describeError } from '../errors.js';
import { buildSbom, SBOM_SPEC_VERSIONS, type SbomSpecVersion } from './build.js';

/** What the CLI reads and writes through: the process's, or a test's. */
export interface SbomCliIo {
  /** The repository root, whose workspaces are built. */
  readonly repoRoot: string;
  /** Where a relative `--output` is written from. */
  readonly cwd: string;
  /** Prints the line that says what was written. */
  readonly out: (line: string) => void;
  /** Prints the one line that says what is wrong. */
  readonly err: (line: string) => void;
}

/** Exit codes: written, the tool failed, the input was bad. */
export const SBOM_EXIT = { OK: 0, FAILED: 1, BAD_INPUT: 2 } as const;

/** How to call the CLI, printed with `--help`. */
export const SBOM_USAGE = [
  'usage: npx tsx delivery/src/sbom/cli.ts --workspace <folder or package name> --output <file> [--spec-version 1.6]',
  "writes the CycloneDX JSON SBOM of the workspace's production dependencies (the tree must be installed: npm ci)",
  'exit codes: 0 written, 1 the SBOM tool failed, 2 bad input',
];

/**
 * Runs the SBOM builder as a command line (see {@link SBOM_USAGE}) and answers its exit code
 * ({@link SBOM_EXIT}); bad input (an unknown option or workspace, a missing value) prints one line.
 */
export async function runSbomCli(argv: readonly string[], io: SbomCliIo): Promise<number> {
  try {
    let values: { workspace?: string; output?: string; 'spec-version'?: string; help?: boolean };
    try {
      ({ values } = parseArgs({
        args: [...argv],
        options: {
          workspace: { type: 'string' },
          output: { type: 'string' },
          'spec-version': { type: 'string' },
          help: { type: 'boolean', short: 'h' },
        },
        strict: true,
        allowPositionals: false,
      }));
    } catch (error) {
      throw new DeliveryError('BAD_INPUT', `${(error as Error).message} (--help for the usage)`);
    }
    if (values.help) {
      SBOM_USAGE.forEach((line) => io.out(line));
      return SBOM_EXIT.OK;
    }
    const missing = (['workspace', 'output'] as const).filter((o) => !values[o]);
    if (missing.length > 0) {
      throw new DeliveryError(
        'BAD_INPUT',
        `${missing.map((o) => `--${o}`).join(' and ')} ${missing.length > 1 ? 'are' : 'is'} required (--help for the usage)`,
      );
    }
    const specVersion = values['spec-version'] ?? '1.6';
    if (!(SBOM_SPEC_VERSIONS as readonly string[]).includes(specVersion)) {
      throw new DeliveryError(
        'BAD_INPUT',
        `--spec-version ${specVersion}: use one of ${SBOM_SPEC_VERSIONS.join(', ')}`,
      );
    }
    const built = await buildSbom({
      workspace: values.workspace ?? '',
      repoRoot: io.repoRoot,
      specVersion: specVersion as SbomSpecVersion,
    });
    const output = resolve(io.cwd, values.output ?? '');
    await mkdir(dirname(output), { recursive: true });
    await writeFile(output, built.json);
    io.out(
      `sbom: wrote ${values.output ?? ''}: CycloneDX ${built.sbom.specVersion}, ${built.componentCount} components, the production dependencies of ${built.workspace.name} (${built.workspace.directory})`,
    );
    return SBOM_EXIT.OK;
  } catch (error) {
    io.err(`sbom: ${describeError(error)}`);
    return error instanceof DeliveryError && error.code === 'BAD_INPUT'
      ? SBOM_EXIT.BAD_INPUT
      : SBOM_EXIT.FAILED;
  }
}
