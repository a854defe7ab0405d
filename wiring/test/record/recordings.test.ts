import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadProject } from '@ias/infra/config';
import { BUILDSPECS } from '@ias/infra/pipelines';
import { SERVICE_BUILDSPEC } from '@ias/infra/pipelines';
import { describe, expect, it } from 'vitest';
import type { WorkloadRecording } from '../../src/calls';
import { BUILD_PROJECTS } from '../../src/record/buildspecs';
import { CALLS_DIR, recordAll, recordingFileName, recordingText } from '../../src/record/recordings';
import { allScenarios, scenarioById } from '../../src/record/scenarios';

describe('the recorded calls (wiring/calls/*.json)', () => {
  it('are current: every scenario, re-run, records what is checked in', { timeout: 600_000 }, async () => {
    const recordings = await recordAll();
    const expected = new Set(recordings.map((r) => recordingFileName(r.workload)));
    for (const recording of recordings) {
      const name = recordingFileName(recording.workload);
      let checkedIn: string | undefined;
      try {
        checkedIn = readFileSync(join(CALLS_DIR, name), 'utf8');
      } catch {
        checkedIn = undefined;
      }
      expect(checkedIn, `wiring/calls/${name} is out of date: run npm run record -w @ias/wiring`).toBe(
        await recordingText(recording),
      );
    }
    const stale = readdirSync(CALLS_DIR).filter((f) => f.endsWith('.json') && !expected.has(f));
    expect(stale, `wiring/calls/${stale[0]} is out of date: run npm run record -w @ias/wiring`).toEqual([]);
  });

  it('find every scenario by its id, through its own module alone', async () => {
    const all = await allScenarios();
    expect(new Set(all.map((s) => s.id)).size).toBe(all.length);
    for (const scenario of all) {
      expect(await scenarioById(scenario.id), scenario.id).toBe(scenario);
    }
    expect(await scenarioById('nope:nothing')).toBeUndefined();
  });

  it('hold no project prefix: names are tokens', () => {
    const { prefix } = loadProject();
    for (const file of readdirSync(CALLS_DIR).filter((f) => f.endsWith('.json'))) {
      expect(readFileSync(join(CALLS_DIR, file), 'utf8'), `wiring/calls/${file}`).not.toContain(`${prefix}-`);
    }
  });

  it('hold only known workloads with calls in the recording format', () => {
    for (const file of readdirSync(CALLS_DIR).filter((f) => f.endsWith('.json'))) {
      const recording = JSON.parse(readFileSync(join(CALLS_DIR, file), 'utf8')) as WorkloadRecording;
      expect(recordingFileName(recording.workload)).toBe(file);
      for (const call of recording.calls) {
        expect(call.resources.length, `${file}: ${call.service}:${call.action}`).toBeGreaterThan(0);
        expect(JSON.stringify(call), file).not.toMatch(/eu-west-3|123456789012|arn:aws:/);
      }
    }
  });

  it('read the buildspecs the pipelines give CodeBuild', () => {
    expect(Object.values(BUILD_PROJECTS).sort()).toEqual(
      [BUILDSPECS.build, BUILDSPECS.check, SERVICE_BUILDSPEC].sort(),
    );
  });
});
