/**
 * Runs every scenario, each in its own process, and turns the results into the files of
 * `wiring/calls/`: one {@link WorkloadRecording} per workload, the union of its scenarios' calls.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { format, resolveConfig } from 'prettier';
import type { RecordedCall, WorkloadRecording } from '../calls';
import type { ScenarioResult } from './run-scenario';
import type { Scenario } from './scenario';
import { unionOfCalls } from './scenario';
import { allScenarios } from './scenarios';
import { buildProjectRecordings } from './buildspecs';

const run = promisify(execFile);

/** The folder of the checked-in recordings. */
export const CALLS_DIR = join(__dirname, '../../calls');
const RUNNER = join(__dirname, 'run-scenario.ts');

/** The recording's file name in `wiring/calls/`: the workload id with `:` as `.`. */
export function recordingFileName(workload: string): string {
  return `${workload.replace(/:/g, '.')}.json`;
}

/** Runs one scenario in a fresh process; throws with its problems when it had any. */
export async function runScenario(scenario: Scenario): Promise<ScenarioResult> {
  const dir = mkdtempSync(join(tmpdir(), 'wiring-scenario-'));
  const out = join(dir, 'result.json');
  try {
    try {
      await run(process.execPath, ['--import', 'tsx', RUNNER, scenario.id, out], {
        cwd: join(__dirname, '../..'),
        env: {
          ...process.env,
          POWERTOOLS_LOG_LEVEL: 'SILENT',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        },
        maxBuffer: 64 * 1024 * 1024,
        timeout: 300_000,
      });
    } catch (error) {
      const e = error as { stderr?: string; message: string };
      throw new Error(
        `scenario ${scenario.id} (${scenario.source}) did not finish: ${e.stderr || e.message}`,
      );
    }
    const result = JSON.parse(readFileSync(out, 'utf8')) as ScenarioResult;
    if (result.problems.length > 0) {
      throw new Error(`scenario ${scenario.id} (${scenario.source}):\n  ${result.problems.join('\n  ')}`);
    }
    if (result.calls.length === 0 && !scenario.mayMakeNoCalls) {
      throw new Error(`scenario ${scenario.id} (${scenario.source}) recorded no call: did its code run?`);
    }
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `tasks` at most `limit` at a time, keeping their order. */
async function pooled<T>(tasks: readonly (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array<T>(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await (tasks[i] as () => Promise<T>)();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

/** Every workload's recording: the scenarios' (run now) and the build projects' (from their buildspecs). */
export async function recordAll(only?: readonly Scenario[]): Promise<WorkloadRecording[]> {
  const scenarios = only ?? (await allScenarios());
  const results = await pooled(
    scenarios.map((s) => () => runScenario(s)),
    2,
  );
  const byWorkload = new Map<string, { sources: Set<string>; calls: RecordedCall[] }>();
  scenarios.forEach((scenario, i) => {
    const entry = byWorkload.get(scenario.workload) ?? { sources: new Set<string>(), calls: [] };
    entry.sources.add(scenario.source);
    entry.calls.push(...(results[i] as ScenarioResult).calls);
    byWorkload.set(scenario.workload, entry);
  });
  const recordings: WorkloadRecording[] = [...byWorkload.entries()].map(([workload, entry]) => ({
    workload,
    source: [...entry.sources].sort().join(', '),
    calls: unionOfCalls(entry.calls),
  }));
  return [...recordings, ...buildProjectRecordings()].sort((a, b) => a.workload.localeCompare(b.workload));
}

/** A recording as its checked-in file's text (prettier-clean JSON). */
export async function recordingText(recording: WorkloadRecording): Promise<string> {
  const file = join(CALLS_DIR, recordingFileName(recording.workload));
  const options = (await resolveConfig(file)) ?? {};
  return format(JSON.stringify(recording, null, 2), { ...options, parser: 'json', filepath: file });
}
