/**
 * Hand-crafted tar archives, byte by byte (ustar headers), so tests can build the malicious
 * members no well-behaved archiver would write: absolute names, `..`, escaping links, devices.
 */
import zlib from 'node:zlib';

export interface CraftedMember {
  name: string;
  /** '0' file, '1' hard link, '2' symlink, '3' char device, '5' directory. */
  type: '0' | '1' | '2' | '3' | '5';
  linkname?: string;
  content?: string;
  mode?: number;
}

function field(header: Buffer, offset: number, length: number, value: string): void {
  header.write(value, offset, Math.min(Buffer.byteLength(value), length), 'utf8');
}

function octal(value: number, length: number): string {
  return `${value.toString(8).padStart(length - 1, '0')}\0`;
}

function header(member: CraftedMember, size: number): Buffer {
  const block = Buffer.alloc(512);
  field(block, 0, 100, member.name);
  field(block, 100, 8, octal(member.mode ?? (member.type === '5' ? 0o755 : 0o644), 8));
  field(block, 108, 8, octal(0, 8));
  field(block, 116, 8, octal(0, 8));
  field(block, 124, 12, octal(size, 12));
  field(block, 136, 12, octal(1_600_000_000, 12));
  field(block, 148, 8, '        ');
  field(block, 156, 1, member.type);
  field(block, 157, 100, member.linkname ?? '');
  field(block, 257, 6, 'ustar\0');
  field(block, 263, 2, '00');
  let sum = 0;
  for (const byte of block) sum += byte;
  field(block, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return block;
}

/** An uncompressed tar of the members, in order. */
export function craftTar(members: CraftedMember[]): Buffer {
  const parts: Buffer[] = [];
  for (const member of members) {
    const content = Buffer.from(member.type === '0' ? (member.content ?? '') : '');
    parts.push(header(member, content.length), content, Buffer.alloc((512 - (content.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** The same, zstd-compressed like a cache entry. */
export function craftTarZst(members: CraftedMember[]): Buffer {
  return zlib.zstdCompressSync(craftTar(members));
}
