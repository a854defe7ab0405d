import { describe, expect, it } from 'vitest';
import { findComponents, parsePackageSpec, readSbom, sbomComponents } from '../../src/sbom/index.js';

/** A CycloneDX SBOM as cyclonedx-npm writes one: scoped packages as group and name, nested installs. */
const SBOM = JSON.stringify({
  bomFormat: 'CycloneDX',
  specVersion: '1.6',
  version: 1,
  metadata: { component: { type: 'application', name: 'aws-delivery-platform', version: '0.1.0' } },
  components: [
    { type: 'library', name: 'pg', version: '8.23.1', purl: 'pkg:npm/pg@8.23.1' },
    {
      type: 'library',
      name: 'client-s3',
      group: '@aws-sdk',
      version: '3.1175.0',
      purl: 'pkg:npm/%40aws-sdk/client-s3@3.1175.0',
    },
    {
      type: 'library',
      name: 'cls-hooked',
      version: '4.2.2',
      components: [{ type: 'library', name: 'semver', version: '5.7.3', purl: 'pkg:npm/semver@5.7.3' }],
    },
    { type: 'library', name: 'semver', version: '7.8.6' },
    { type: 'library', name: 'next', version: '4.0.0-rc.1' },
    { type: 'library', name: 'client-s3-extra', group: '@aws-sdk', version: '3.1.0' },
  ],
});

describe('readSbom', () => {
  it('reads the components, nested ones included, and ignores the fields it does not use', () => {
    const sbom = readSbom(SBOM);
    expect(sbom.specVersion).toBe('1.6');
    expect(sbomComponents(sbom).map((c) => c.name)).toEqual([
      'pg',
      'client-s3',
      'cls-hooked',
      'semver',
      'semver',
      'next',
      'client-s3-extra',
    ]);
  });

  it('reads an SBOM without components as one with none', () => {
    expect(readSbom('{"bomFormat":"CycloneDX","specVersion":"1.5"}').components).toEqual([]);
  });

  it.each([
    ['not json', 'not a CycloneDX SBOM: not JSON'],
    ['{"bomFormat":"SPDX","specVersion":"1.6"}', 'not a CycloneDX SBOM: bomFormat: '],
    ['{"bomFormat":"CycloneDX","specVersion":"2.0"}', 'specVersion: must be a CycloneDX 1.x version'],
    [
      '{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"name":"a","components":[{"version":"1"}]}]}',
      'not a CycloneDX SBOM: components.0.components.0.name: ',
    ],
    [
      '{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"name":"a","version":1}]}',
      'components.0.version: ',
    ],
  ])('fails on %s, naming the problem by its path', (json, message) => {
    expect(() => readSbom(json)).toThrow(message);
  });
});

describe('findComponents', () => {
  const sbom = readSbom(SBOM);

  it.each([
    ['pg', ['pg@8.23.1']],
    ['pg@^8', ['pg@8.23.1']],
    ['pg@8.23.1', ['pg@8.23.1']],
    ['pg@<8.23.1', []],
    ['pg@^7', []],
    ['@aws-sdk/client-s3@>=3.600 <4', ['@aws-sdk/client-s3@3.1175.0']],
    ['@aws-sdk/client-s3@<3.600', []],
    ['@aws-sdk/client-s3', ['@aws-sdk/client-s3@3.1175.0']],
    ['client-s3', []],
    ['@aws-sdk/client', []],
    ['semver', ['semver@5.7.3', 'semver@7.8.6']],
    ['semver@<6', ['semver@5.7.3']],
    ['next@4', ['next@4.0.0-rc.1']],
    ['next@>=3', ['next@4.0.0-rc.1']],
    ['express', []],
  ])('finds %s by its exact name and range: %j', (spec, expected) => {
    expect(findComponents(sbom, spec)).toEqual(expected);
  });

  it('takes a spec already read', () => {
    expect(findComponents(sbom, parsePackageSpec('semver@7'))).toEqual(['semver@7.8.6']);
  });
});

describe('parsePackageSpec', () => {
  it('splits a name from its range, a scope’s @ included in the name', () => {
    expect(parsePackageSpec('pg')).toEqual({ name: 'pg' });
    expect(parsePackageSpec('pg@^8')).toEqual({ name: 'pg', range: '^8' });
    expect(parsePackageSpec('@aws-sdk/client-s3@>=3.600 <4')).toEqual({
      name: '@aws-sdk/client-s3',
      range: '>=3.600 <4',
    });
    expect(parsePackageSpec('@types/node')).toEqual({ name: '@types/node' });
  });

  it.each([
    ['', 'no package given: write PACKAGE[@RANGE], e.g. pg, pg@^8 or "@aws-sdk/client-s3@>=3.600 <4"'],
    ['  ', 'no package given'],
    ['@', '"@": "@" is not an npm package name; write PACKAGE[@RANGE]'],
    ['@^8', '"@^8": "@^8" is not an npm package name'],
    ['@scope', '"@scope": "@scope" is not an npm package name'],
    ['pg @8', '"pg @8": "pg " is not an npm package name'],
    ['pg@', '"pg@": no version range after "@"'],
    ['pg@banana', '"pg@banana": "banana" is not a semver range (e.g. ^8, ~8.11, >=3.600 <4, 8.x)'],
  ])('fails on %j with a message quoting it', (spec, message) => {
    expect(() => parsePackageSpec(spec)).toThrow(message);
  });
});
