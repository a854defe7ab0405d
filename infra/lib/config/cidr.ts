/** An IPv4 CIDR block as a numeric range, for overlap and size checks. */
export interface Ipv4Range {
  /** First address, as an unsigned 32-bit integer. */
  readonly first: number;
  /** Last address, as an unsigned 32-bit integer. */
  readonly last: number;
  /** The prefix length (the `/n` part). */
  readonly mask: number;
}

/**
 * Parses an IPv4 CIDR block that zod's `cidrv4()` already accepted.
 *
 * Written by hand because it is ten lines and zod validates the format; the range arithmetic is
 * all that is needed for the overlap check.
 */
export function parseCidr(cidr: string): Ipv4Range {
  const [address = '', maskText = '32'] = cidr.split('/');
  const mask = Number(maskText);
  const base = address.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
  const size = 2 ** (32 - mask);
  const first = base - (base % size);
  return { first, last: first + size - 1, mask };
}

/** Whether two CIDR blocks share at least one address. */
export function cidrsOverlap(a: string, b: string): boolean {
  const x = parseCidr(a);
  const y = parseCidr(b);
  return x.first <= y.last && y.first <= x.last;
}
