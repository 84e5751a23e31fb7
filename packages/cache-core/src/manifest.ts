/**
 * Entry manifests: the small JSON file written LAST next to each data file. Its existence means
 * the entry is complete; its fields make the entry self-describing for any tool that lists it.
 */
import { randomBytes } from 'node:crypto';

export const MANIFEST_FORMAT_VERSION = 1;
/** Manifests are tiny; anything larger is not one of ours. */
export const MANIFEST_MAX_BYTES = 64 * 1024;
export const MANIFEST_SUFFIX = '.json';

export type EntryFormat = 'tar' | 'image';

export const DATA_SUFFIX: Record<EntryFormat, string> = { tar: '.tar.zst', image: '.sqsh' };

export interface EntryManifest {
  formatVersion: typeof MANIFEST_FORMAT_VERSION;
  /** `<created-ms, 13 digits>-<8 hex>`: sorts by creation time, unique across concurrent writers. */
  id: string;
  key: string;
  os: string;
  arch: string;
  nodeAbi: string;
  format: EntryFormat;
  compression: 'zstd';
  /** File name of the data file in the same directory. */
  dataFile: string;
  sizeBytes: number;
  /** SHA-256 (hex) of the data file. */
  sha256: string;
  /** ISO 8601. */
  created: string;
  createdMs: number;
  writerRunId: string;
  repository: string;
  /** Branch name or `pull/<n>`. */
  branch: string;
  /** The cached directory relative to the workspace (`node_modules`). */
  pathName: string;
}

const ID_PATTERN = /^(\d{13})-([0-9a-f]{8})$/;

export function newEntryId(nowMs: number): string {
  return `${String(nowMs).padStart(13, '0')}-${randomBytes(4).toString('hex')}`;
}

export function dataFileName(id: string, format: EntryFormat): string {
  return `${id}${DATA_SUFFIX[format]}`;
}

export function manifestFileName(id: string): string {
  return `${id}${MANIFEST_SUFFIX}`;
}

/** The entry id encoded in a manifest or data file name, if it is one of ours. */
export function entryIdOf(fileName: string): string | undefined {
  for (const suffix of [MANIFEST_SUFFIX, ...Object.values(DATA_SUFFIX)]) {
    if (fileName.endsWith(suffix)) {
      const id = fileName.slice(0, -suffix.length);
      return ID_PATTERN.test(id) ? id : undefined;
    }
  }
  return undefined;
}

export function createdMsOfId(id: string): number {
  return Number(ID_PATTERN.exec(id)?.[1] ?? 0);
}

function isString(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

/** Why a parsed manifest is unusable, or undefined when it is valid for `id`. */
export function manifestProblem(value: unknown, id: string): string | undefined {
  if (typeof value !== 'object' || value === null) return 'not a JSON object';
  const m = value as Record<string, unknown>;
  if (m.formatVersion !== MANIFEST_FORMAT_VERSION)
    return `unsupported format version ${String(m.formatVersion)}`;
  if (m.id !== id) return 'id does not match its file name';
  for (const field of [
    'key',
    'os',
    'arch',
    'nodeAbi',
    'created',
    'writerRunId',
    'repository',
    'branch',
    'pathName',
  ]) {
    if (!isString(m[field])) return `field ${field} missing or not a string`;
  }
  if (m.format !== 'tar' && m.format !== 'image') return `unknown format ${String(m.format)}`;
  if (m.compression !== 'zstd') return `unknown compression ${String(m.compression)}`;
  if (m.dataFile !== dataFileName(id, m.format)) return 'dataFile does not match the entry id';
  if (typeof m.sizeBytes !== 'number' || !Number.isSafeInteger(m.sizeBytes) || m.sizeBytes < 0)
    return 'bad sizeBytes';
  if (typeof m.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(m.sha256)) return 'bad sha256';
  if (typeof m.createdMs !== 'number' || !Number.isSafeInteger(m.createdMs)) return 'bad createdMs';
  return undefined;
}

/** Newest first: creation time, then id (ties between concurrent writers resolve the same everywhere). */
export function compareNewestFirst(a: EntryManifest, b: EntryManifest): number {
  if (a.createdMs !== b.createdMs) return b.createdMs - a.createdMs;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}
