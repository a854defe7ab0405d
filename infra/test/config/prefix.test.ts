import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/config/errors';
import { parsePrefix, PREFIX_PATTERN, PREFIX_RULE, readPrefix } from '../../lib/config/prefix';
import { INFRA_DIR, REPO_ROOT } from '../../lib/config/project';

describe('parsePrefix', () => {
  it('reads the prefix from its line anywhere in the README', () => {
    expect(parsePrefix('# Title\n\nSome text.\n\nPrefix: ias\n\n## More\n')).toBe('ias');
    expect(parsePrefix('Prefix:   ab-1  \n')).toBe('ab-1');
    expect(parsePrefix('Prefix: abcdefghij\n')).toBe('abcdefghij');
  });

  it('accepts the same line repeated with the same value', () => {
    expect(parsePrefix('Prefix: ias\n...\nPrefix: ias\n')).toBe('ias');
  });

  it('reads a valid prefix from the repository README', () => {
    expect(readPrefix(join(REPO_ROOT, 'README.md'))).toMatch(PREFIX_PATTERN);
  });

  it('fails without a prefix line, naming the file, the line to write and the rule', () => {
    expect(() => parsePrefix('# Title\nno prefix here\n')).toThrow(ConfigError);
    expect(() => parsePrefix('# Title\n')).toThrow(
      `README.md has no "Prefix:" line: write one line "Prefix: <abbr>" in README.md, e.g. "Prefix: ias", where <abbr> is ${PREFIX_RULE}.`,
    );
  });

  it.each([
    ['IAS', 'uppercase'],
    ['i', 'too short'],
    ['abcdefghijk', 'too long (11)'],
    ['1ab', 'digit first'],
    ['-ab', 'hyphen first'],
    ['ia_s', 'underscore'],
    ['ia s', 'space'],
    ['', 'empty'],
  ])('fails on the invalid prefix %j (%s), quoting it', (value) => {
    expect(() => parsePrefix(`Prefix: ${value}\n`)).toThrow(
      `README.md has an invalid prefix ${JSON.stringify(value)} on its "Prefix:" line`,
    );
  });

  it('fails on two prefix lines that disagree', () => {
    expect(() => parsePrefix('Prefix: ias\nPrefix: other\n')).toThrow(
      'README.md has 2 "Prefix:" lines with different values ("ias", "other"): keep only one',
    );
  });

  it('fails on a README that cannot be read, naming its path', () => {
    expect(() => readPrefix('/nonexistent/README.md')).toThrow(
      'README.md could not be read at /nonexistent/README.md (ENOENT)',
    );
  });
});

describe('entry points with a bad prefix', () => {
  const tsx = join(INFRA_DIR, '..', 'node_modules', '.bin', 'tsx');

  function run(script: string, readme: string, outdir: string) {
    return spawnSync(tsx, [script], {
      cwd: INFRA_DIR,
      env: { ...process.env, PROJECT_README: readme, CDK_OUTDIR: outdir },
      encoding: 'utf8',
    });
  }

  it.each(['bin/infra.ts', 'scripts/synth.ts', 'scripts/start.ts'])(
    '%s stops with one line, exit 1, no stack trace and nothing written',
    (script) => {
      const dir = mkdtempSync(join(tmpdir(), 'prefix-'));
      const readme = join(dir, 'README.md');
      writeFileSync(readme, '# Project\n\nPrefix: Bad_Prefix\n');
      const outdir = join(dir, 'out');
      const result = run(script, readme, outdir);
      expect(result.status).toBe(1);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toEqual([
        `README.md has an invalid prefix "Bad_Prefix" on its "Prefix:" line: write one line "Prefix: <abbr>" in README.md, e.g. "Prefix: ias", where <abbr> is ${PREFIX_RULE}.`,
      ]);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(result.stdout).toBe('');
      expect(existsSync(outdir)).toBe(false);
    },
  );
});
