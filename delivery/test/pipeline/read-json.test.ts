import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { readJson } from '../../src/pipeline/read-json.js';
import { failureOf } from '../support.js';

const schema = z.object({ version: z.string().regex(/^\d+$/, 'must be a number'), unchanged: z.boolean() });

describe('readJson', () => {
  it('returns the text parsed and checked against the schema', () => {
    expect(readJson('{"version":"8","unchanged":false,"extra":1}', schema, { name: 'release.json' })).toEqual(
      {
        version: '8',
        unchanged: false,
      },
    );
  });

  it('fails BAD_INPUT naming the source, the text and every bad field', () => {
    expect(
      failureOf(() =>
        readJson('{"version":"x"}', schema, { name: 'release.json', source: 'input artifact Release' }),
      ),
    ).toBe(
      'BAD_INPUT: input artifact Release: invalid release.json: version: must be a number; unchanged: Invalid input: expected boolean, received undefined',
    );
    expect(failureOf(() => readJson('{"version":"x"}', schema, { name: 'UserParameters' }))).toMatch(
      /^BAD_INPUT: invalid UserParameters: version: must be a number; /,
    );
  });

  it('fails BAD_INPUT saying why when the text is not JSON', () => {
    expect(
      failureOf(() =>
        readJson('{"version":', schema, { name: 'release.json', source: 'input artifact Release' }),
      ),
    ).toMatch(/^BAD_INPUT: input artifact Release: release\.json is not JSON: \S/);
  });

  it('fails BAD_INPUT with the missing message when there is no text', () => {
    expect(
      failureOf(() =>
        readJson(undefined, schema, { name: 'UserParameters', missing: 'the action has no UserParameters' }),
      ),
    ).toBe('BAD_INPUT: the action has no UserParameters');
    expect(
      failureOf(() => readJson(undefined, schema, { name: 'release.json', source: 'input artifact 0' })),
    ).toBe('BAD_INPUT: input artifact 0 has no release.json');
  });

  it('fails BAD_INPUT with the one unreadable message, whatever is wrong', () => {
    const what = {
      name: 'continuation token',
      unreadable: 'the continuation token is not one this step wrote',
    };
    expect(failureOf(() => readJson('opaque', schema, what))).toBe(
      'BAD_INPUT: the continuation token is not one this step wrote',
    );
    expect(failureOf(() => readJson('{}', schema, what))).toBe(
      'BAD_INPUT: the continuation token is not one this step wrote',
    );
  });
});
