/**
 * Runs one scenario in this process and writes its symbolic calls as JSON to a file:
 *
 *   tsx wiring/src/record/run-scenario.ts <scenario id> <out file>
 *
 * One process per scenario: handler modules read their environment when they load, and some
 * (infra/scripts/check-function.ts) run on import, so each run needs a fresh module cache.
 */
import { writeFileSync } from 'node:fs';
import type { RecordedCall } from '../calls';
import { startRecording } from './recorder';
import { FIXTURE, symbolizeCall, tokensOf, unionOfCalls } from './scenario';
import { allScenarios, scenarioById } from './scenarios';

/** What a scenario run writes. */
export interface ScenarioResult {
  readonly id: string;
  readonly calls: readonly RecordedCall[];
  /** Unanswered or unmapped calls, and the run's own failure: the recording fails on any. */
  readonly problems: readonly string[];
}

async function main(): Promise<void> {
  const [id, out] = process.argv.slice(2);
  const scenario = id === undefined ? undefined : await scenarioById(id);
  if (!scenario || !out) {
    const ids = (await allScenarios()).map((s) => s.id).join(', ');
    throw new Error(`usage: run-scenario <id> <out file>; ids: ${ids}`);
  }
  Object.assign(process.env, { AWS_REGION: FIXTURE.region }, scenario.runtimeEnv, scenario.env);
  const session = startRecording({
    respond: scenario.respond,
    lookups: scenario.lookups,
    principals: scenario.principals,
  });
  const problems: string[] = [];
  try {
    await scenario.run(session);
  } catch (error) {
    problems.push(
      `the run failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
  } finally {
    session.stop();
  }
  const tokens = tokensOf(scenario);
  // A pipeline step's calls are that step's: the check holds them only to the actions that run it.
  const step = typeof scenario.params?.step === 'string' ? scenario.params.step : undefined;
  const result: ScenarioResult = {
    id,
    calls: unionOfCalls(
      session.calls.map((call) => ({ ...symbolizeCall(call, tokens), ...(step ? { steps: [step] } : {}) })),
    ),
    problems: [...session.problems, ...problems],
  };
  writeFileSync(out, `${JSON.stringify(result)}\n`);
  // Handlers keep pools and timers (the database, Powertools): the result is written, so end here.
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
