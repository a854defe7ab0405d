/**
 * The wiring check: what each workload's code does in AWS — the calls it makes, the settings it
 * reads, the network paths it takes, the way it logs in to the database — held against what the
 * synthesized assembly allows and provides.
 */
import { join } from 'node:path';
import { loadProject, REPO_ROOT } from '@ias/infra/config';
import { loadAssembly, type AssemblyModel } from './check/assembly';
import { checkWiring, type WiringReport } from './check/check';
import { loadContracts } from './check/contracts';
import { loadRecordings } from './check/recordings';
import { findWorkloads, workloadRegistry } from './check/workloads';

export type { AssemblyModel };
export { loadAssembly, NoAssemblyError } from './check/assembly';
export type { Finding, WiringReport } from './check/check';
export { renderReport, renderSummary, summaryLine } from './report';
export { simulateRequest, type SimulatedRequest } from './check/permissions';
export { iamCallOf, type IamLookups, type IamTarget } from './record/iam';
export type { RecordedCall } from './calls';

/** Where the checked-in recordings are. */
export const RECORDINGS_DIR = join(REPO_ROOT, 'wiring', 'calls');

/** Checks an assembly model (as loaded, or as a test changed it) with the repository's recordings. */
export async function checkAssemblyModel(
  assembly: AssemblyModel,
  recordingsDir: string = RECORDINGS_DIR,
): Promise<WiringReport> {
  const project = loadProject();
  const { workloads, unknown } = findWorkloads(assembly, workloadRegistry(project));
  return checkWiring(assembly, {
    workloads,
    unknown,
    recordings: loadRecordings(recordingsDir),
    contracts: await loadContracts(project),
  });
}

/** Loads and checks the assembly in a directory. */
export async function checkAssemblyDir(outdir: string): Promise<WiringReport> {
  const project = loadProject();
  const region = project.environments[0]?.profile.region ?? 'us-east-1';
  return checkAssemblyModel(loadAssembly(outdir, region));
}
