/**
 * Zip archives for the tests, written as `zip` writes them (entries stored, UTF-8 names, Unix
 * modes), with ZIP64's end records or an archive comment when asked: what `deploy ec2` is given.
 */
import { crc32 } from 'node:zlib';

/** How {@link zipOf} ends the archive. */
export interface ZipOptions {
  /** Write ZIP64's end record and locator too, the 32-bit record deferring to them. @default false */
  readonly zip64?: boolean;
  /** The archive comment. @default - none */
  readonly comment?: string;
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
}

/** A zip of `files` (path → content; a path ending with `/` is a folder). */
export function zipOf(files: Readonly<Record<string, string>>, options: ZipOptions = {}): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [path, content] of Object.entries(files)) {
    const name = Buffer.from(path, 'utf8');
    const data = Buffer.from(content, 'utf8');
    const crc = crc32(data);
    // Version 2.0, UTF-8 names, stored, 1980-01-01 00:00.
    const common = Buffer.concat([u16(20), u16(0x0800), u16(0), u16(0), u16(0x21), u32(crc)]);
    const sizes = Buffer.concat([u32(data.length), u32(data.length), u16(name.length)]);
    const local = Buffer.concat([u32(0x04034b50), common, sizes, u16(0), name, data]);
    const mode = path.endsWith('/') ? 0o40755 : 0o100644;
    centrals.push(
      Buffer.concat([
        ...[u32(0x02014b50), u16(0x031e), common, sizes],
        ...[u16(0), u16(0), u16(0), u16(0), u32(mode * 0x10000), u32(offset), name],
      ]),
    );
    locals.push(local);
    offset += local.length;
  }
  const directory = Buffer.concat(centrals);
  const count = centrals.length;
  const comment = Buffer.from(options.comment ?? '', 'utf8');
  const zip64 = options.zip64
    ? [
        // The ZIP64 end record (its size after this field: 44), then its locator.
        Buffer.concat([u32(0x06064b50), u64(44), u16(45), u16(45), u32(0), u32(0)]),
        Buffer.concat([u64(count), u64(count), u64(directory.length), u64(offset)]),
        Buffer.concat([u32(0x07064b50), u32(0), u64(offset + directory.length), u32(1)]),
      ]
    : [];
  const end = options.zip64
    ? [u16(0xffff), u16(0xffff), u32(0xffffffff), u32(0xffffffff)]
    : [u16(count), u16(count), u32(directory.length), u32(offset)];
  return Buffer.concat([
    ...locals,
    directory,
    ...zip64,
    Buffer.concat([u32(0x06054b50), u16(0), u16(0), ...end, u16(comment.length), comment]),
  ]);
}

/** An EC2 revision as the builds pack it: appspec.yml, the hook scripts and dist/ at its root. */
export function revisionZip(): Buffer {
  return zipOf({
    'appspec.yml': 'version: 0.0\nos: linux\n',
    'scripts/': '',
    'scripts/application-start.sh': '#!/bin/bash\n',
    'dist/': '',
    'dist/main.js': 'console.log("up");\n',
  });
}
