import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/errors';
import { main } from '../src/main';
import { captureOutput } from './helpers';

/** A side minute by minute: its requests and errors each minute, its latency as multiples of 100/250 ms. */
function series(minutes: number, requests: number, errors: number, p99Factor = 1) {
  return {
    minutes: Array.from({ length: minutes }, (_, i) => {
      const trend = 1 + 0.2 * Math.sin(i / 2);
      return {
        requests,
        errors,
        p50Ms: 100 * trend,
        p99Ms: 250 * trend * p99Factor * (1 + 0.02 * Math.sin(3 * i)),
      };
    }),
  };
}

let dir: string;
const file = (name: string) => join(dir, name);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ias-canary-'));
  const write = (name: string, content: unknown) =>
    writeFileSync(file(name), typeof content === 'string' ? content : JSON.stringify(content));
  write('baseline.json', series(10, 900, 9));
  write('healthy.json', series(10, 100, 1));
  write('errors-3x.json', series(10, 100, 3));
  write('slow.json', series(10, 100, 1, 1.5));
  write('thin-baseline.json', series(2, 135, 1));
  write('thin-canary.json', series(2, 15, 0));
  write('not-json.json', '{ "minutes": [ ');
  write('bad-errors.json', {
    minutes: [
      { requests: 3, errors: 0 },
      { requests: 3, errors: 5 },
    ],
  });
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs `main` as the binary would, capturing its output; loading the project or making an AWS client
 * throws, so a test passes only if `canary judge` needs neither.
 */
async function judge(...args: string[]) {
  return captureOutput(() =>
    main(['canary', 'judge', ...args], {
      loadProject: () => {
        throw new Error('canary judge loaded the project configuration');
      },
      clients: () => {
        throw new Error('canary judge made AWS clients');
      },
    }),
  );
}

describe('canary judge', () => {
  it('passes a healthy canary with exit 0, printing the verdict and a table of the metrics', async () => {
    const run = await judge('--baseline', file('baseline.json'), '--canary', file('healthy.json'));
    expect(run).toMatchObject({ code: EXIT.ok, stderr: '' });
    const lines = run.stdout.split('\n');
    expect(lines.slice(0, 2)).toEqual([
      'canary judge: PASS (alpha 0.05, Holm across 3 metrics)',
      '  every metric passed (error-rate, p50, p99)',
    ]);
    expect(lines[3]).toMatch(
      /^METRIC +VERDICT +EFFECT +MARGINS FAIL\/PASS +P WORSE +HOLM ALPHA +P NOT WORSE +SAMPLES/,
    );
    expect(lines[4]).toMatch(
      /^error-rate +pass +1\.04× +1\.1× \/ 2\.5× .* 9000 \/ 1000 requests, 90 \/ 10 errors$/,
    );
    expect(lines[6]).toMatch(/^p99 +pass +1\.00× +1\.05× \/ 1\.3× .* 10 \/ 10 minutes, 10 paired$/);
  });

  it('fails a canary with 3× the errors with exit 1', async () => {
    const run = await judge('--baseline', file('baseline.json'), '--canary', file('errors-3x.json'));
    expect(run.code).toBe(EXIT.failed);
    expect(run.stdout).toMatch(
      /^canary judge: FAIL .*\n {2}error-rate worse than 1\.1× the baseline: estimated 3\.0\d×/,
    );
  });

  it('answers inconclusive on thin evidence with exit 3', async () => {
    const run = await judge('--baseline', file('thin-baseline.json'), '--canary', file('thin-canary.json'));
    expect(run.code).toBe(3);
    expect(run.stdout).toContain('canary judge: INCONCLUSIVE');
    expect(run.stdout).toContain('p99: 2 minutes with p99 on both sides, 5 needed');
  });

  it('prints one JSON object with --json, the exit code still the verdict', async () => {
    const run = await judge('--baseline', file('baseline.json'), '--canary', file('slow.json'), '--json');
    expect(run.code).toBe(EXIT.failed);
    const result = JSON.parse(run.stdout) as {
      verdict: string;
      metrics: { metric: string; verdict: string; pValueWorse: number; adjustedAlpha: number }[];
      files: unknown;
    };
    expect(result.verdict).toBe('fail');
    expect(result.metrics.map((m) => [m.metric, m.verdict])).toEqual([
      ['error-rate', 'pass'],
      ['p50', 'pass'],
      ['p99', 'fail'],
    ]);
    expect(result.metrics[2]?.pValueWorse).toBeLessThanOrEqual(result.metrics[2]?.adjustedAlpha ?? 0);
    expect(result.files).toEqual({ baseline: file('baseline.json'), canary: file('slow.json') });
  });

  describe('fails with exit 2 and one line naming the file, printing nothing else', () => {
    it('on a missing file', async () => {
      expect(await judge('--baseline', file('baseline.json'), '--canary', file('nope.json'))).toEqual({
        code: EXIT.badInput,
        stdout: '',
        stderr: `error: --canary ${file('nope.json')} does not exist\n`,
      });
    });

    it('on a file that is not JSON', async () => {
      const run = await judge('--baseline', file('not-json.json'), '--canary', file('healthy.json'));
      expect(run).toMatchObject({ code: EXIT.badInput, stdout: '' });
      expect(run.stderr).toMatch(
        new RegExp(`^error: --baseline ${file('not-json.json')} is not JSON: [^\\n]+\\n$`),
      );
    });

    it('on a series that breaks the schema, naming the field', async () => {
      expect(await judge('--baseline', file('baseline.json'), '--canary', file('bad-errors.json'))).toEqual({
        code: EXIT.badInput,
        stdout: '',
        stderr: `error: --canary ${file('bad-errors.json')}: minutes[1].errors: must not exceed requests (5 errors in 3 requests)\n`,
      });
    });

    it('on series of different lengths', async () => {
      const run = await judge('--baseline', file('baseline.json'), '--canary', file('thin-canary.json'));
      expect(run).toEqual({
        code: EXIT.badInput,
        stdout: '',
        stderr: `error: baseline has 10 minutes and canary 2: the two series must cover the same minutes, oldest first (--baseline ${file('baseline.json')}, --canary ${file('thin-canary.json')})\n`,
      });
    });

    it('on a missing option', async () => {
      const run = await judge('--baseline', file('baseline.json'));
      expect(run.code).toBe(EXIT.badInput);
      expect(run.stderr).toContain("error: required option '--canary <file>' not specified");
    });
  });
});

// Starts the binary (up to 20 s on a loaded machine): vitest's 5 s default would cut it short.
describe('the ias-ops binary', { timeout: 30_000 }, () => {
  it('judges two files outside the repository, with no AWS configuration', () => {
    const run = spawnSync(
      process.execPath,
      [
        join(__dirname, '..', 'bin', 'ias-ops.js'),
        'canary',
        'judge',
        '--baseline',
        'baseline.json',
        '--canary',
        'slow.json',
      ],
      {
        cwd: dir,
        encoding: 'utf8',
        timeout: 20_000,
        input: '',
        env: { PATH: process.env.PATH, HOME: '/nonexistent', AWS_EC2_METADATA_DISABLED: 'true' },
      },
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(EXIT.failed);
    expect(run.stdout).toMatch(
      /^canary judge: FAIL .*\n {2}p99 worse than 1\.05× the baseline: estimated 1\.5\d×/,
    );
  });
});
