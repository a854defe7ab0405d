/**
 * The names of a zip archive's entries, read from its central directory alone (found through the
 * end-of-central-directory record, and ZIP64's where the archive uses it): what `deploy ec2` checks
 * of a revision before it uploads it, without unpacking anything or a zip library.
 *
 * @see https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT (4.3.12 to 4.3.16)
 */

/** Why bytes are not a zip archive `zipEntryNames` can read. */
export class ZipError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ZipError';
  }
}

const END = 0x06054b50;
const END_SIZE = 22;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_LOCATOR_SIZE = 20;
const ZIP64_END = 0x06064b50;
const CENTRAL_HEADER = 0x02014b50;
const CENTRAL_HEADER_SIZE = 46;
/** The archive comment after the end record is at most this long, which bounds the search for it. */
const MAX_COMMENT = 0xffff;
/** Bit 11 of an entry's flags: its name is UTF-8 (else CP437, whose ASCII part the names share). */
const UTF8_NAME = 0x0800;

/** Where the central directory is, and how many entries it holds. */
interface Directory {
  readonly count: number;
  readonly offset: number;
  readonly size: number;
}

/** The offset of the end-of-central-directory record: the last one whose comment fits the file. */
function endRecord(buf: Buffer): number {
  const lowest = Math.max(0, buf.length - END_SIZE - MAX_COMMENT);
  for (let at = buf.length - END_SIZE; at >= lowest; at -= 1) {
    if (buf.readUInt32LE(at) === END && at + END_SIZE + buf.readUInt16LE(at + 20) <= buf.length) {
      return at;
    }
  }
  throw new ZipError('no end-of-central-directory record: not a zip, or cut short');
}

/** A ZIP64 field as a number, when the file can hold it. */
function offsetIn(buf: Buffer, at: number): number {
  const value = buf.readBigUInt64LE(at);
  if (value > BigInt(buf.length)) throw new ZipError('its ZIP64 end record points past the end of the file');
  return Number(value);
}

/** The central directory as ZIP64's end record gives it (the 32-bit record says 0xFFFF… for "see ZIP64"). */
function zip64Directory(buf: Buffer, end: number): Directory {
  const locator = end - ZIP64_LOCATOR_SIZE;
  if (locator < 0 || buf.readUInt32LE(locator) !== ZIP64_LOCATOR) {
    throw new ZipError('its end record defers to a ZIP64 end record that is not there');
  }
  const record = offsetIn(buf, locator + 8);
  if (record + 56 > buf.length || buf.readUInt32LE(record) !== ZIP64_END) {
    throw new ZipError('its ZIP64 end record is damaged');
  }
  return {
    count: offsetIn(buf, record + 32),
    size: offsetIn(buf, record + 40),
    offset: offsetIn(buf, record + 48),
  };
}

/** Where the central directory is, from the end record (or ZIP64's). */
function directoryOf(buf: Buffer): Directory {
  const end = endRecord(buf);
  const count = buf.readUInt16LE(end + 10);
  const size = buf.readUInt32LE(end + 12);
  const offset = buf.readUInt32LE(end + 16);
  return count === 0xffff || size === 0xffffffff || offset === 0xffffffff
    ? zip64Directory(buf, end)
    : { count, size, offset };
}

/**
 * The entries' names, in the order of the central directory (`dist/`, `dist/main.js`, …: folders end
 * with `/`, and the root has no prefix).
 *
 * @throws ZipError when the bytes are not a zip archive, or its central directory is damaged
 */
export function zipEntryNames(bytes: Uint8Array): string[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { count, offset, size } = directoryOf(buf);
  const last = offset + size;
  if (last > buf.length) throw new ZipError('its central directory lies past the end of the file');
  const names: string[] = [];
  let at = offset;
  for (let i = 0; i < count; i += 1) {
    if (at + CENTRAL_HEADER_SIZE > last || buf.readUInt32LE(at) !== CENTRAL_HEADER) {
      throw new ZipError(`entry ${i + 1} of the ${count} its central directory lists is damaged`);
    }
    const utf8 = (buf.readUInt16LE(at + 8) & UTF8_NAME) !== 0;
    const nameEnd = at + CENTRAL_HEADER_SIZE + buf.readUInt16LE(at + 28);
    if (nameEnd > last) {
      throw new ZipError(`entry ${i + 1} of the ${count} its central directory lists is damaged`);
    }
    names.push(buf.toString(utf8 ? 'utf8' : 'latin1', at + CENTRAL_HEADER_SIZE, nameEnd));
    // The extra field and the comment follow the name.
    at = nameEnd + buf.readUInt16LE(at + 30) + buf.readUInt16LE(at + 32);
  }
  return names;
}
