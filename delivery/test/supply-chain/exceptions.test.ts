import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXCEPTIONS_FILE, loadExceptions, parseExceptions } from '../../src/supply-chain/exceptions.js';
import { failureOf, rejectionOf } from '../support.js';

const GOOD = {
  exceptions: [
    {
      finding: 'CVE-2024-0727',
      package: 'openssl',
      reason: 'PKCS12 files are never parsed by the service',
      expires: '2025-06-30',
    },
    { finding: 'GHSA-c2qf-rxjj-qqgw', reason: 'semver only parses our own ranges', expires: '2025-04-01' },
  ],
};

const reading = (text: string) => () => Promise.resolve(text);

describe('parseExceptions', () => {
  it('reads exceptions with and without a package', () => {
    expect(parseExceptions(GOOD)).toEqual(GOOD.exceptions);
  });

  it('fails on a bad file, listing every problem with its path', () => {
    const bad = {
      exceptions: [
        { finding: 'CVE-2024-0727', reason: 'fine', expires: '2025-02-30' },
        { finding: 'RHSA-2024:1234', reason: '  ', expires: '2025-06-30', pacakge: 'openssl' },
        { finding: 'CVE-2024-0728', package: '', reason: 'fine', expires: '2025-06-30' },
      ],
    };
    expect(failureOf(() => parseExceptions(bad, 'supply-chain/exceptions.json'))).toBe(
      'BAD_INPUT: supply-chain/exceptions.json: 5 problems in the supply-chain exceptions; fix each and run again: ' +
        'exceptions.0.expires: must be a date YYYY-MM-DD; ' +
        'exceptions.1.finding: must be a CVE id (CVE-2024-12345) or a GitHub advisory id (GHSA-xxxx-xxxx-xxxx); ' +
        'exceptions.1.reason: must say why the finding is accepted; ' +
        'exceptions.1: Unrecognized key: "pacakge"; ' +
        'exceptions.2.package: must name a package, or be left out',
    );
  });

  it('fails on a file without the exceptions list', () => {
    expect(failureOf(() => parseExceptions([], 'x.json'))).toMatch(
      /^BAD_INPUT: x\.json: 1 problem in the supply-chain exceptions; fix each and run again: \(root\): /,
    );
  });
});

describe('loadExceptions', () => {
  it("reads the repository's own exceptions file", async () => {
    const file = resolve(__dirname, '../../..', EXCEPTIONS_FILE);
    await expect(loadExceptions(file)).resolves.toEqual(expect.any(Array));
  });

  it('reads a file through the given reader', async () => {
    await expect(loadExceptions('ex.json', reading(JSON.stringify(GOOD)))).resolves.toEqual(GOOD.exceptions);
  });

  it('fails on a file that is not JSON, naming it', async () => {
    expect(await rejectionOf(loadExceptions('ex.json', reading('{ "exceptions": [ // none\n] }')))).toMatch(
      /^BAD_INPUT: ex\.json: not valid JSON \(/,
    );
  });

  it('fails on a missing file, naming it and where the repository keeps it', async () => {
    expect(await rejectionOf(loadExceptions(resolve(__dirname, 'no-such-file.json')))).toBe(
      `BAD_INPUT: ${resolve(__dirname, 'no-such-file.json')}: no such exceptions file (the repository keeps it at supply-chain/exceptions.json)`,
    );
  });
});
