/**
 * `npm run record -w @ias/wiring`: re-runs every scenario and rewrites `wiring/calls/*.json`
 * (removing recordings of workloads no scenario records any more).
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CALLS_DIR, recordAll, recordingFileName, recordingText } from './recordings';

async function main(): Promise<void> {
  const recordings = await recordAll();
  mkdirSync(CALLS_DIR, { recursive: true });
  const written = new Set<string>();
  for (const recording of recordings) {
    const name = recordingFileName(recording.workload);
    writeFileSync(join(CALLS_DIR, name), await recordingText(recording));
    written.add(name);
    process.stdout.write(`${name}: ${recording.calls.length} calls\n`);
  }
  for (const stale of readdirSync(CALLS_DIR).filter((f) => f.endsWith('.json') && !written.has(f))) {
    rmSync(join(CALLS_DIR, stale));
    process.stdout.write(`${stale}: removed (no scenario records it)\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`record failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
