import { readAssembly } from './assembly';
import { gatesPassed, readGateResults } from './gates';
import { renderPlan } from './render';
import type { ProjectConfig } from '../config/load';

export * from './assembly';
export * from './gates';
export * from './physical-names';
export * from './render';

/** The delivery plan of a synthesized assembly, and whether the policy gates passed. */
export interface Plan {
  /** The plan as text. */
  readonly text: string;
  /** True when no unacknowledged policy-gate error was found. */
  readonly passed: boolean;
}

/** Reads the assembly in `outdir` and renders its delivery plan. */
export function buildPlan(config: ProjectConfig, outdir: string, cwd = process.cwd()): Plan {
  const gates = readGateResults(outdir);
  const text = renderPlan({ config, stages: readAssembly(outdir), gates, outdir, cwd });
  return { text, passed: gatesPassed(gates) };
}
