/**
 * `canary judge --baseline FILE --canary FILE`: the canary judge of `@ias/delivery/canary` on two
 * per-minute series read from JSON files. Needs no AWS and no project configuration (its row is
 * standalone): the files hold everything.
 */
import { readFileSync } from 'node:fs';
import {
  type CanaryJudgement,
  type CanarySeries,
  DeliveryError,
  judgeCanary,
  parseCanarySeries,
} from '@ias/delivery/canary';
import { badInput, EXIT, type ExitCode } from '../errors';

/** Arguments of `canary judge`. */
export interface CanaryJudgeArgs {
  /** The baseline's series: a JSON file. */
  readonly baseline: string;
  /** The canary's series: a JSON file. */
  readonly canary: string;
}

/** The judge's answer, with the files it read. */
export interface CanaryJudgeResult extends CanaryJudgement {
  readonly files: { readonly baseline: string; readonly canary: string };
}

/**
 * Reads a series from `path`, checked.
 *
 * @throws OpsError (exit 2), one line naming the file, and the field when the JSON is not a series
 */
function readSeries(option: string, path: string): CanarySeries {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw badInput(
      code === 'ENOENT'
        ? `${option} ${path} does not exist`
        : `${option} ${path} cannot be read (${code ?? String(err)})`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw badInput(`${option} ${path} is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    return parseCanarySeries(json, `${option} ${path}`);
  } catch (err) {
    if (err instanceof DeliveryError) throw badInput(err.message);
    throw err;
  }
}

/**
 * `canary judge`: both files read and checked, then judged with the default settings.
 *
 * @throws OpsError (exit 2) when a file is missing, not JSON, not a series, or the two differ in length
 */
export async function canaryJudge(args: CanaryJudgeArgs): Promise<CanaryJudgeResult> {
  const baseline = readSeries('--baseline', args.baseline);
  const canary = readSeries('--canary', args.canary);
  try {
    const judgement = judgeCanary(baseline, canary);
    return { ...judgement, files: { baseline: args.baseline, canary: args.canary } };
  } catch (err) {
    if (err instanceof DeliveryError)
      throw badInput(`${err.message} (--baseline ${args.baseline}, --canary ${args.canary})`);
    throw err;
  }
}

/** Exit 0 pass, 1 fail, 3 inconclusive (the code the deploy commands give a rollback). */
export function canaryJudgeExit(result: CanaryJudgeResult): ExitCode {
  return { pass: EXIT.ok, fail: EXIT.failed, inconclusive: EXIT.rolledBack }[result.verdict];
}

const ratio = (value: number | null) => (value === null ? '-' : `${value.toFixed(2)}×`);
const probability = (value: number | null) =>
  value === null ? '-' : value < 1e-4 ? value.toExponential(1) : value.toPrecision(2);

/** Text of `canary judge`: the verdict and why, then a table of the metrics and each one's reason. */
export function formatCanaryJudge(result: CanaryJudgeResult): string {
  const rows = [
    [
      'METRIC',
      'VERDICT',
      'EFFECT',
      'MARGINS FAIL/PASS',
      'P WORSE',
      'HOLM ALPHA',
      'P NOT WORSE',
      'SAMPLES BASELINE/CANARY',
    ],
    ...result.metrics.map((m) => [
      m.metric,
      m.verdict,
      ratio(m.effect),
      `${m.failMargin}× / ${m.passMargin}×`,
      probability(m.pValueWorse),
      probability(m.adjustedAlpha),
      probability(m.pValueNotWorse),
      m.errors
        ? `${m.samples.baseline} / ${m.samples.canary} requests, ${m.errors.baseline} / ${m.errors.canary} errors`
        : `${m.samples.baseline} / ${m.samples.canary} minutes, ${m.pairedMinutes ?? 0} paired`,
    ]),
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => r[i]?.length ?? 0))) ?? [];
  const table = rows.map((r) =>
    r
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
  return [
    `canary judge: ${result.verdict.toUpperCase()} (alpha ${result.settings.alpha}, Holm across ${result.metrics.length} metric${result.metrics.length === 1 ? '' : 's'})`,
    `  ${result.reason}`,
    '',
    ...table,
    '',
    ...result.metrics.map((m) => `${m.metric}: ${m.test}; ${m.reason}`),
  ].join('\n');
}
