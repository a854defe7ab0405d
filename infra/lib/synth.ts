import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildApp } from './app';
import { KIND_LIST } from './kinds';
import type { ProjectConfig } from './config/load';
import { cdkContext, loadProject } from './config/project';
import { readGateResults, type GateResults } from './plan/gates';

/** Options of {@link synthesize}. */
export interface SynthesizeOptions {
  /** Where to write the cloud assembly; emptied first so no stale stack lingers. */
  readonly outdir: string;
  /** cdk.json's context (feature flags, validation settings). */
  readonly context: Record<string, unknown>;
  /** Run the Control Tower guard rules. @default true */
  readonly guardRules?: boolean;
}

/**
 * Synthesizes every environment into `outdir`, in-process and offline, exactly as `cdk synth`
 * would (same app, same cdk.json context).
 *
 * Policy-gate findings do not throw: aws-cdk-lib prints them and writes
 * `validation-report.json` into the assembly. The returned results judge each finding by its
 * severity, because a plugin's own conclusion is not to be trusted (see `readGateResults`).
 */
export function synthesize(config: ProjectConfig, options: SynthesizeOptions): GateResults {
  rmSync(options.outdir, { recursive: true, force: true });
  const { app } = buildApp(config, {
    outdir: options.outdir,
    guardRules: options.guardRules,
    // 'process' mode: a failed validation is reported and sets the exit code instead of throwing,
    // so that the plan can still be printed with the findings in it.
    context: { ...options.context, '@aws-cdk/core:appMode': 'process' },
  });
  app.synth();
  writeReviewFiles(config, options.outdir);
  return readGateResults(options.outdir);
}

/**
 * Names an assembly of the real app that the test suites read instead of synthesizing their own:
 * the root `npm test` (scripts/test.ts) synthesizes it once for the infra and wiring suites.
 */
export const SHARED_ASSEMBLY_ENV = 'IAS_TEST_ASSEMBLY';

/**
 * The real app (README prefix, real profiles, every gate) synthesized into a new temporary folder, as
 * the test suites' global setups share it with their files; `remove` deletes the folder. Where
 * {@link SHARED_ASSEMBLY_ENV} names an assembly, that one, left in place: the suites only read it.
 */
export function synthesizeToTempDir(label: string): { readonly dir: string; readonly remove: () => void } {
  const shared = process.env[SHARED_ASSEMBLY_ENV];
  if (shared !== undefined && shared !== '') {
    if (!existsSync(join(shared, 'manifest.json'))) {
      throw new Error(
        `${SHARED_ASSEMBLY_ENV}=${shared} holds no cloud assembly: unset it or synthesize there`,
      );
    }
    return { dir: shared, remove: () => undefined };
  }
  const dir = mkdtempSync(join(tmpdir(), `${label}-assembly-`));
  synthesizeRealApp(dir);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The real app (README prefix, real profiles, every gate) synthesized into `outdir`, as the test suites read it. */
export function synthesizeRealApp(outdir: string): GateResults {
  return synthesize(loadProject({}), { outdir, context: cdkContext() });
}

/** Writes every kind's review files of every environment under `outdir` (see `WorkloadKind.reviewFiles`). */
function writeReviewFiles(config: ProjectConfig, outdir: string): void {
  for (const env of config.environments) {
    for (const kind of KIND_LIST) {
      for (const file of kind.reviewFiles?.(env, config) ?? []) {
        const path = join(outdir, file.path);
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, file.text);
      }
    }
  }
}
