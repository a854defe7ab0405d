import { describe, expect, it } from 'vitest';
import { decide } from '../../src/supply-chain/decide.js';
import type { SupplyChainException } from '../../src/supply-chain/exceptions.js';
import type { FailOn, Finding, Severity } from '../../src/supply-chain/findings.js';
import { failureOf } from '../support.js';
import { TODAY } from './support.js';

/** A finding of the image scan (basic scanning). */
function finding(id: string, severity: Severity, pkg = 'openssl', version = '3.0.11-1~deb12u1'): Finding {
  return { id, severity, package: pkg, version, source: 'ecr-basic', title: `${id} in ${pkg}` };
}

const exception = (overrides: Partial<SupplyChainException> = {}): SupplyChainException => ({
  finding: 'CVE-2024-0727',
  reason: 'PKCS12 files are never parsed by the service',
  expires: '2025-06-30',
  ...overrides,
});

const run = (findings: Finding[], exceptions: SupplyChainException[] = [], failOn: FailOn = 'HIGH') =>
  decide({ findings, failOn, exceptions, today: TODAY });

describe('decide', () => {
  it('passes a clean scan, saying so', () => {
    const decision = run([]);
    expect(decision).toMatchObject({
      pass: true,
      blocking: [],
      excepted: [],
      below: 0,
      expiredExceptions: [],
    });
    expect(decision.summary).toEqual([
      'threshold: fail on HIGH or above (UNDEFINED never blocks)',
      'findings: 0 (CRITICAL 0, HIGH 0, MEDIUM 0, LOW 0, INFORMATIONAL 0, UNDEFINED 0)',
      'result: PASSED — no finding at or above HIGH without a current exception; 0 excepted, 0 below HIGH',
    ]);
  });

  it('passes findings below the threshold, counting them by severity', () => {
    const decision = run([
      finding('CVE-2023-5678', 'MEDIUM'),
      finding('CVE-2023-39804', 'LOW', 'tar'),
      finding('CVE-2005-2541', 'INFORMATIONAL', 'tar'),
      finding('CVE-2011-3374', 'UNDEFINED', 'apt'),
    ]);
    expect(decision.pass).toBe(true);
    expect(decision.below).toBe(4);
    expect(decision.counts).toEqual({
      CRITICAL: 0,
      HIGH: 0,
      MEDIUM: 1,
      LOW: 1,
      INFORMATIONAL: 1,
      UNDEFINED: 1,
    });
  });

  it('fails on one finding at the threshold, listing it with its package, version and title', () => {
    const high = finding('CVE-2023-4911', 'HIGH', 'glibc', '2.36-9+deb12u1');
    const decision = run([high, finding('CVE-2023-5678', 'MEDIUM')]);
    expect(decision).toMatchObject({ pass: false, blocking: [high], below: 1 });
    expect(decision.summary).toEqual([
      'threshold: fail on HIGH or above (UNDEFINED never blocks)',
      'findings: 2 (CRITICAL 0, HIGH 1, MEDIUM 1, LOW 0, INFORMATIONAL 0, UNDEFINED 0)',
      'blocking: CVE-2023-4911 HIGH glibc@2.36-9+deb12u1: CVE-2023-4911 in glibc',
      'result: BLOCKED by 1 finding at or above HIGH (CVE-2023-4911); 0 excepted, 1 below HIGH',
    ]);
  });

  it('blocks a finding above the threshold too, and nothing below a lower one', () => {
    expect(run([finding('CVE-2024-1', 'CRITICAL')]).pass).toBe(false);
    expect(run([finding('CVE-2024-2', 'LOW')], [], 'MEDIUM').pass).toBe(true);
  });

  it('never blocks an UNDEFINED finding, whatever the threshold', () => {
    const decision = decide({
      findings: [finding('CVE-2011-3374', 'UNDEFINED', 'apt')],
      failOn: 'INFORMATIONAL',
      exceptions: [],
      today: TODAY,
    });
    expect(decision).toMatchObject({ pass: true, below: 1, counts: { UNDEFINED: 1 } });
  });

  it('lets through a finding an exception names by id alone, in any package, printing its reason and expiry', () => {
    const accepted = exception();
    const inOpenssl = finding('CVE-2024-0727', 'HIGH');
    const inLibssl = finding('CVE-2024-0727', 'HIGH', 'libssl3');
    const decision = run([inOpenssl, inLibssl], [accepted]);
    expect(decision).toMatchObject({
      pass: true,
      blocking: [],
      excepted: [
        { finding: inOpenssl, exception: accepted },
        { finding: inLibssl, exception: accepted },
      ],
    });
    expect(decision.summary).toContain(
      'excepted: CVE-2024-0727 HIGH openssl@3.0.11-1~deb12u1: CVE-2024-0727 in openssl — exception CVE-2024-0727 until 2025-06-30: PKCS12 files are never parsed by the service',
    );
  });

  it('lets through only the named package when the exception names one', () => {
    const accepted = exception({ package: 'openssl' });
    const inLibssl = finding('CVE-2024-0727', 'HIGH', 'libssl3');
    const decision = run([finding('CVE-2024-0727', 'HIGH'), inLibssl], [accepted]);
    expect(decision.pass).toBe(false);
    expect(decision.blocking).toEqual([inLibssl]);
    expect(decision.excepted.map((entry) => entry.finding.package)).toEqual(['openssl']);
    expect(decision.summary).toContainEqual(
      expect.stringMatching(
        /^excepted: CVE-2024-0727 HIGH openssl@.* — exception CVE-2024-0727 \(package openssl\) until 2025-06-30: /,
      ),
    );
  });

  it('matches a GitHub advisory id whatever its case', () => {
    const ghsa = {
      ...finding('GHSA-c2qf-rxjj-qqgw', 'HIGH', 'semver', '7.5.1'),
      source: 'npm-audit' as const,
    };
    expect(run([ghsa], [exception({ finding: 'GHSA-C2QF-RXJJ-QQGW' })]).pass).toBe(true);
  });

  it('holds an exception through its expiry day', () => {
    expect(run([finding('CVE-2024-0727', 'HIGH')], [exception({ expires: TODAY })]).pass).toBe(true);
  });

  it('fails on an expired exception that still matches a finding, naming it and its expiry', () => {
    const expired = exception({ package: 'openssl', expires: '2025-03-03' });
    const high = finding('CVE-2024-0727', 'HIGH');
    const decision = run([high], [expired]);
    expect(decision).toMatchObject({
      pass: false,
      blocking: [high],
      excepted: [],
      expiredExceptions: [{ exception: expired, matches: [high] }],
    });
    expect(decision.summary.slice(2)).toEqual([
      'blocking: CVE-2024-0727 HIGH openssl@3.0.11-1~deb12u1: CVE-2024-0727 in openssl',
      'expired exception: CVE-2024-0727 (package openssl) expired 2025-03-03 and still matches 1 finding (CVE-2024-0727 HIGH): renew it with a new reason or fix the finding',
      'result: BLOCKED by 1 finding at or above HIGH (CVE-2024-0727) and 1 expired exception still in use (CVE-2024-0727 (package openssl), expired 2025-03-03); 0 excepted, 0 below HIGH',
    ]);
  });

  it('fails on an expired exception even when the finding it matches is below the threshold', () => {
    const decision = run([finding('CVE-2024-0727', 'MEDIUM')], [exception({ expires: '2024-12-31' })]);
    expect(decision).toMatchObject({ pass: false, blocking: [], below: 1 });
    expect(decision.summary.at(-1)).toBe(
      'result: BLOCKED by 1 expired exception still in use (CVE-2024-0727, expired 2024-12-31); 0 excepted, 1 below HIGH',
    );
  });

  it('only warns about an expired exception that matches no finding', () => {
    const decision = run([finding('CVE-2023-5678', 'MEDIUM')], [exception({ expires: '2024-12-31' })]);
    expect(decision.pass).toBe(true);
    expect(decision.expiredExceptions).toEqual([
      { exception: exception({ expires: '2024-12-31' }), matches: [] },
    ]);
    expect(decision.summary).toContain(
      'warning: exception CVE-2024-0727 expired 2024-12-31 and matches no finding: remove it',
    );
  });

  it('only warns about an expired exception whose finding a current exception covers', () => {
    const decision = run(
      [finding('CVE-2024-0727', 'HIGH')],
      [
        exception({ expires: '2024-12-31' }),
        exception({ package: 'openssl', reason: 'renewed: still unused' }),
      ],
    );
    expect(decision.pass).toBe(true);
    expect(decision.summary).toContain(
      'warning: exception CVE-2024-0727 expired 2024-12-31 and matches no finding: remove it',
    );
  });

  it('fails on a bad threshold or day, naming each', () => {
    expect(
      failureOf(() =>
        decide({ findings: [], failOn: 'UNDEFINED' as never, exceptions: [], today: '4 March 2025' }),
      ),
    ).toBe(
      'BAD_INPUT: supply-chain gate: failOn: must be one of CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL (UNDEFINED never blocks); today: must be a date YYYY-MM-DD',
    );
  });
});
