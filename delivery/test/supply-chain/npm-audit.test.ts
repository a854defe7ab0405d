import { describe, expect, it } from 'vitest';
import { parseNpmAudit } from '../../src/supply-chain/npm-audit.js';
import { failureOf } from '../support.js';
import { fixture } from './support.js';

describe('parseNpmAudit', () => {
  it('makes one finding per advisory, its id the GHSA of the advisory URL, its package the vulnerable one', () => {
    expect(parseNpmAudit(fixture('npm-audit.json'))).toEqual([
      {
        id: 'GHSA-grv7-fg5c-xmjg',
        severity: 'HIGH',
        package: 'braces',
        source: 'npm-audit',
        title: 'Uncontrolled resource consumption in braces (vulnerable <3.0.3)',
      },
      {
        id: 'GHSA-952p-6rrq-rcjv',
        severity: 'MEDIUM',
        package: 'micromatch',
        source: 'npm-audit',
        title: 'Regular Expression Denial of Service (ReDoS) in micromatch (vulnerable <4.0.8)',
      },
      {
        id: 'GHSA-c2qf-rxjj-qqgw',
        severity: 'MEDIUM',
        package: 'semver',
        source: 'npm-audit',
        title: 'semver vulnerable to Regular Expression Denial of Service (vulnerable >=7.0.0 <7.5.2)',
      },
      {
        id: 'GHSA-pxg6-pf52-xh8x',
        severity: 'LOW',
        package: 'cookie',
        source: 'npm-audit',
        title:
          'cookie accepts cookie name, path, and domain with out of bounds characters (vulnerable <0.7.0)',
      },
    ]);
  });

  it('reads no findings from a clean report', () => {
    expect(parseNpmAudit(fixture('npm-audit-clean.json'))).toEqual([]);
  });

  it('counts an advisory reached through several vulnerabilities once per package', () => {
    const advisory = {
      source: 1,
      name: 'braces',
      title: 'Uncontrolled resource consumption in braces',
      url: 'https://github.com/advisories/GHSA-grv7-fg5c-xmjg',
      severity: 'high',
      range: '<3.0.3',
    };
    const report = {
      vulnerabilities: {
        braces: { severity: 'high', via: [advisory] },
        'braces-copy': { severity: 'high', via: [advisory, 'braces'] },
      },
    };
    expect(parseNpmAudit(report)).toHaveLength(1);
  });

  it("fails on npm's own error report, naming its code", () => {
    const report = { error: { code: 'ENOLOCK', summary: 'This command requires an existing lockfile.' } };
    expect(failureOf(() => parseNpmAudit(report, 'audit.json'))).toBe(
      'BAD_INPUT: audit.json: npm audit failed (ENOLOCK: This command requires an existing lockfile.): there are no findings to decide on',
    );
  });

  it('fails on an npm 6 report, which has advisories instead of vulnerabilities', () => {
    expect(failureOf(() => parseNpmAudit({ advisories: {}, metadata: {} }, 'audit.json'))).toMatch(
      /^BAD_INPUT: audit\.json: not an npm audit --json report of npm 7 or later: vulnerabilities: /,
    );
  });
});
