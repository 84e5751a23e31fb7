/** IPv4 CIDR arithmetic for the VPC layout; pure so the subnet plan is tested without Pulumi. */

export class CidrError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CidrError';
  }
}

function parse(cidr: string): { base: number; prefix: number } {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!match) throw new CidrError(`'${cidr}' is not an IPv4 CIDR`);
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((o) => o > 255) || prefix > 32) throw new CidrError(`'${cidr}' is not an IPv4 CIDR`);
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  if (address % size !== 0) throw new CidrError(`'${cidr}' has host bits set`);
  return { base: address, prefix };
}

function format(address: number, prefix: number): string {
  const octets = [24, 16, 8, 0].map((shift) => Math.floor(address / 2 ** shift) % 256);
  return `${octets.join('.')}/${prefix}`;
}

/**
 * Splits `cidr` into `count` equal, non-overlapping subnets, using the smallest prefix that fits
 * (each subnet as large as possible: runners get public IPs, not many, but headroom is free).
 */
export function splitCidr(cidr: string, count: number): string[] {
  const { base, prefix } = parse(cidr);
  if (!Number.isInteger(count) || count < 1) throw new CidrError(`cannot split into ${count} subnets`);
  const extraBits = Math.ceil(Math.log2(count));
  const newPrefix = prefix + extraBits;
  // AWS refuses subnets smaller than /28.
  if (newPrefix > 28) throw new CidrError(`'${cidr}' is too small for ${count} subnets of at least /28`);
  const size = 2 ** (32 - newPrefix);
  return Array.from({ length: count }, (_, index) => format(base + index * size, newPrefix));
}
