import { rmSync } from 'node:fs';
import { buildApp } from './app';
import type { ProjectConfig } from './config/load';

/** Options of {@link synthesize}. */
export interface SynthesizeOptions {
  /** Where to write the cloud assembly; emptied first so no stale stack lingers. */
  readonly outdir: string;
  /** cdk.json's context (feature flags, validation settings). */
  readonly context: Record<string, unknown>;
}

/**
 * Synthesizes every environment into `outdir`, in-process and offline, exactly as `cdk synth`
 * would (same app, same cdk.json context).
 *
 * Policy-gate findings do not throw: aws-cdk-lib prints them and writes
 * `validation-report.json` into the assembly, which the plan reads.
 */
export function synthesize(config: ProjectConfig, options: SynthesizeOptions): void {
  rmSync(options.outdir, { recursive: true, force: true });
  const { app } = buildApp(config, {
    outdir: options.outdir,
    // 'process' mode: a failed validation is reported and sets the exit code instead of throwing,
    // so that the plan can still be printed with the findings in it.
    context: { ...options.context, '@aws-cdk/core:appMode': 'process' },
  });
  app.synth();
}
