import { describe, expect, it } from 'vitest';
import { zipEntryNames, ZipError } from '../src/zip';
import { zipOf } from './zip-support';

const FILES = { 'appspec.yml': 'version: 0.0\n', 'dist/': '', 'dist/main.js': 'x', 'séance.txt': 'é' };
const NAMES = ['appspec.yml', 'dist/', 'dist/main.js', 'séance.txt'];

describe('zipEntryNames', () => {
  it('lists the entries of the central directory, in its order, UTF-8 names decoded', () => {
    expect(zipEntryNames(zipOf(FILES))).toEqual(NAMES);
  });

  it('finds the end record before an archive comment, even one that holds its signature', () => {
    // The comment's signature is followed by bytes that would make a comment past the end of the file.
    const comment = `built by CI: PK\x05\x06${'z'.repeat(30)}`;
    expect(zipEntryNames(zipOf(FILES, { comment }))).toEqual(NAMES);
  });

  it("reads ZIP64's end records where the 32-bit one defers to them", () => {
    expect(zipEntryNames(zipOf(FILES, { zip64: true }))).toEqual(NAMES);
  });

  it('lists nothing of an empty archive', () => {
    expect(zipEntryNames(zipOf({}))).toEqual([]);
  });

  it('reads a view into a larger buffer from its own start', () => {
    const zip = zipOf(FILES);
    const padded = Buffer.concat([Buffer.from('padding'), zip]);
    expect(zipEntryNames(new Uint8Array(padded.buffer, padded.byteOffset + 7, zip.length))).toEqual(NAMES);
  });

  it.each([
    ['what is not a zip', Buffer.from('#!/bin/sh\necho not a zip\n'), 'no end-of-central-directory record'],
    ['an empty file', Buffer.alloc(0), 'no end-of-central-directory record'],
    ['a zip cut short', zipOf(FILES).subarray(0, 60), 'no end-of-central-directory record'],
  ])('fails on %s', (_, bytes, message) => {
    expect(() => zipEntryNames(bytes)).toThrow(ZipError);
    expect(() => zipEntryNames(bytes)).toThrow(message);
  });

  it('fails on a central directory that lies past the end of the file, or is damaged', () => {
    const zip = zipOf(FILES);
    const end = zip.length - 22;
    const past = Buffer.from(zip);
    past.writeUInt32LE(zip.length, end + 16);
    expect(() => zipEntryNames(past)).toThrow('its central directory lies past the end of the file');
    const damaged = Buffer.from(zip);
    damaged.writeUInt32LE(0, damaged.readUInt32LE(end + 16));
    expect(() => zipEntryNames(damaged)).toThrow('entry 1 of the 4 its central directory lists is damaged');
  });

  it('fails on an end record deferring to ZIP64 records that are not there', () => {
    const zip = zipOf(FILES, { zip64: true });
    const locator = zip.length - 22 - 20;
    const broken = Buffer.from(zip);
    broken.writeUInt32LE(0, locator);
    expect(() => zipEntryNames(broken)).toThrow(
      'its end record defers to a ZIP64 end record that is not there',
    );
  });
});
