/**
 * GitHub's webhook source ranges (`GET /meta` → `hooks`) as a `net.BlockList`. An HTTP API has
 * neither resource policies nor WAF, so this is where the IP restriction lives. When the ranges
 * cannot be fetched the signature alone decides (and a metric says so): refusing every delivery
 * because api.github.com hiccuped would lose jobs.
 */
import { BlockList, isIP } from 'node:net';
import { HOOK_RANGES_CACHE_MS } from '../constants';
import type { Clock } from '../state/store';

/** After a failed fetch, wait this long before trying again (do not hammer GitHub per delivery). */
const RETRY_AFTER_FAILURE_MS = 60_000;

export type RangeFetcher = () => Promise<string[]>;

/** `allowed`/`refused` from known ranges; `unknown` when no range list could be fetched. */
export type SourceVerdict = 'allowed' | 'refused' | 'unknown';

export function blockListFrom(cidrs: string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [address, prefix] = cidr.split('/');
    const family = isIP(address ?? '');
    if (family === 0) continue;
    const type = family === 4 ? 'ipv4' : 'ipv6';
    list.addSubnet(address!, prefix === undefined ? (family === 4 ? 32 : 128) : Number(prefix), type);
  }
  return list;
}

export class HookAllowList {
  private list?: BlockList;
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private failedAt = Number.NEGATIVE_INFINITY;
  private inFlight?: Promise<void>;

  constructor(
    private readonly fetchRanges: RangeFetcher,
    private readonly now: Clock = Date.now,
  ) {}

  async check(sourceIp: string | undefined): Promise<SourceVerdict> {
    await this.refreshIfStale();
    if (this.list === undefined) return 'unknown';
    const family = isIP(sourceIp ?? '');
    if (family === 0) return 'refused';
    return this.list.check(sourceIp!, family === 4 ? 'ipv4' : 'ipv6') ? 'allowed' : 'refused';
  }

  private async refreshIfStale(): Promise<void> {
    const now = this.now();
    if (now - this.fetchedAt < HOOK_RANGES_CACHE_MS) return;
    if (now - this.failedAt < RETRY_AFTER_FAILURE_MS) return;
    this.inFlight ??= this.fetchRanges()
      .then((ranges) => {
        this.list = blockListFrom(ranges);
        this.fetchedAt = this.now();
      })
      .catch(() => {
        // Keep the previous list if there is one; otherwise the signature decides alone.
        this.failedAt = this.now();
      })
      .finally(() => {
        this.inFlight = undefined;
      });
    await this.inFlight;
  }
}
