import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { calcPrice } from '@pydantic/genai-prices';
import type { CostSource } from '../../protocol/model';

/**
 * The one place an LLM call's cost is decided.
 *
 * Order: a user price file entry for the call's model wins; else the cost the producer recorded;
 * else the bundled price table of `@pydantic/genai-prices` (no network: its data is part of the
 * bundle); else the cost is unknown (0). A producer cost of 0 for a call with tokens counts as no
 * cost (producers write 0 when they do not know the model's price).
 *
 * Token buckets: ours keep `input` exclusive of cache reads and writes; the price table counts
 * cached tokens inside input, so its `input_tokens` is input + cacheRead + cacheWrite.
 *
 * Besides the total, a call's cost is split into the part paid for new context (input + cache
 * write tokens), the part paid for context read back from the cache (cache read tokens), and the
 * rest (output): what cost per tool call is built on (see query/toolCosts.ts). With a producer
 * cost the split follows the call's rates (user file or table) scaled to that cost, or, when no
 * rate is known, the weights input 1, cache write 1.25, cache read 0.1, output 5.
 */

/** The version of the bundled price table; a different one reprices the index. */
export const PRICE_TABLE_VERSION = '@pydantic/genai-prices@0.1.8';

/** One entry of a user price file: USD per million tokens. */
export interface UserPrice {
  /** Model id, case-insensitive; a trailing `*` matches every model id starting with the rest. */
  model: string;
  /** When set, only calls of this provider (case-insensitive). */
  provider?: string;
  input: number;
  output: number;
  /** Defaults to `input`. */
  cacheRead?: number;
  /** Defaults to `input`. */
  cacheWrite?: number;
}

export interface UserPriceFile {
  prices: UserPrice[];
  /** sha1 of the file's bytes ('' when there is none). */
  hash: string;
  /** What was wrong with the file or its entries (the usable entries are still used). */
  problems: string[];
}

/** Token deltas of one call, our buckets (input exclusive of cache). */
export interface CallTokens {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

export interface PricedCall {
  cost: number;
  source: CostSource;
  /** Cost of the call's new context: input + cache write tokens. */
  newCost: number;
  /** Cost of the context read from the cache: cache read tokens. */
  readCost: number;
}

/** Per-token rates (USD) of the four buckets. */
interface Rates {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

const DEFAULT_WEIGHTS: Rates = { input: 1, output: 5, cacheRead: 0.1, cacheWrite: 1.25 };

export const COST_SOURCES: readonly CostSource[] = ['unknown', 'producer', 'price-table', 'user'];
/** The integer stored in llm_calls.csrc for a source. */
export function costSourceCode(s: CostSource): number {
  return COST_SOURCES.indexOf(s);
}
export function costSourceOf(code: unknown): CostSource {
  return COST_SOURCES[typeof code === 'number' ? code : 0] ?? 'unknown';
}

/** Parses a user price file: `{"prices": [entry, …]}` or a bare array of entries. */
export function parseUserPrices(text: string): UserPriceFile {
  const hash = createHash('sha1').update(text).digest('hex');
  const problems: string[] = [];
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return { prices: [], hash, problems: [`not valid JSON: ${(err as Error).message}`] };
  }
  const list = Array.isArray(doc) ? doc : doc && typeof doc === 'object' ? (doc as { prices?: unknown }).prices : undefined;
  if (!Array.isArray(list)) return { prices: [], hash, problems: ['expected {"prices": [...]} or an array of prices'] };
  const prices: UserPrice[] = [];
  list.forEach((e, i) => {
    const o = e && typeof e === 'object' ? (e as Record<string, unknown>) : null;
    const rate = (k: string, required: boolean): number | undefined | null => {
      const v = o?.[k];
      if (v === undefined && !required) return undefined;
      return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null;
    };
    const model = o && typeof o.model === 'string' && o.model.trim() ? o.model.trim() : null;
    const provider = o?.provider === undefined ? undefined : typeof o.provider === 'string' ? o.provider : null;
    const input = rate('input', true);
    const output = rate('output', true);
    const cacheRead = rate('cacheRead', false);
    const cacheWrite = rate('cacheWrite', false);
    if (!model || provider === null || input == null || output == null || cacheRead === null || cacheWrite === null) {
      problems.push(`prices[${i}]: needs "model" (text), "input" and "output" (USD per million tokens, ≥ 0); optional "provider", "cacheRead", "cacheWrite"`);
      return;
    }
    prices.push({ model, ...(provider ? { provider } : {}), input, output, ...(cacheRead !== undefined ? { cacheRead } : {}), ...(cacheWrite !== undefined ? { cacheWrite } : {}) });
  });
  return { prices, hash, problems };
}

/** Reads a user price file; a file that cannot be read is a problem, never an exception. */
export function readUserPrices(file: string): UserPriceFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { prices: [], hash: `unreadable:${file}`, problems: [`cannot read ${file}: ${(err as Error).message}`] };
  }
  const parsed = parseUserPrices(text);
  return { ...parsed, problems: parsed.problems.map((p) => `${file}: ${p}`) };
}

/** Rates of one (provider, model) in the price table (at any time, or during one hour); tiered: call the library per call. */
type TableEntry = { kind: 'none' } | { kind: 'flat'; rates: Rates } | { kind: 'tiered'; rates: Rates; firstTier: number };

const HOUR = 3_600_000;

/** Prices calls; one per index, built from the user price file (or none). */
export class Pricer {
  /** Changes whenever a price could change: the table's version or the user file. */
  readonly key: string;
  private readonly table = new Map<string, TableEntry>();
  /** The last model found to have a timeless entry, and that entry. */
  private lastTimeless: { provider: string | null; model: string; entry: TableEntry } | null = null;

  constructor(private readonly user: UserPrice[] = [], userHash = '') {
    this.key = `${PRICE_TABLE_VERSION};user=${userHash}`;
  }

  static fromFile(file: UserPriceFile | null): Pricer {
    return new Pricer(file?.prices ?? [], file?.hash ?? '');
  }

  /** The cost of one call (see the module comment for the order of sources). */
  price(provider: string | null, model: string | null, ts: number, t: CallTokens, producerCost: number | null): PricedCall {
    const tokens = t.input + t.output + t.cacheRead + t.cacheWrite;
    const user = this.userRates(provider, model);
    if (user) return split(user, t, 'user');
    const hasProducer = producerCost !== null && Number.isFinite(producerCost) && (producerCost !== 0 || tokens === 0);
    if (hasProducer) {
      const rates = tokens > 0 && model ? this.tableRates(provider, model, ts)?.rates ?? DEFAULT_WEIGHTS : DEFAULT_WEIGHTS;
      return scaled(rates, t, producerCost, 'producer');
    }
    if (tokens > 0 && model) {
      const entry = this.tableRates(provider, model, ts);
      // A tiered price below its first tier is its base price: flat.
      if (entry?.kind === 'flat' || (entry?.kind === 'tiered' && t.input + t.cacheRead + t.cacheWrite <= entry.firstTier)) return split(entry.rates, t, 'price-table');
      if (entry?.kind === 'tiered') {
        const r = libraryPrice(provider, model, ts, t);
        if (r !== null) return scaled(entry.rates, t, r, 'price-table');
      }
    }
    return { cost: 0, source: 'unknown', newCost: 0, readCost: 0 };
  }

  private userRates(provider: string | null, model: string | null): Rates | null {
    if (!model || this.user.length === 0) return null;
    const m = model.toLowerCase();
    const p = provider?.toLowerCase() ?? null;
    for (const e of this.user) {
      if (e.provider && e.provider.toLowerCase() !== p) continue;
      const want = e.model.toLowerCase();
      const hit = want.endsWith('*') ? m.startsWith(want.slice(0, -1)) : m === want;
      if (!hit) continue;
      return { input: e.input / 1e6, output: e.output / 1e6, cacheRead: (e.cacheRead ?? e.input) / 1e6, cacheWrite: (e.cacheWrite ?? e.input) / 1e6 };
    }
    return null;
  }

  /**
   * The table's per-token rates for (provider, model) at `ts`. The rates are the library's own
   * answers for a thousand tokens of each bucket, so a flat price (cost linear in tokens) needs no
   * further call; a tiered one is asked per call. A model whose price never depends on the time
   * (no dated or time-of-day prices, or not in the table at all) is looked up once; any other
   * once per hour of calls.
   */
  private tableRates(provider: string | null, model: string, ts: number): Exclude<TableEntry, { kind: 'none' }> | null {
    // Calls come in runs of the same model: its timeless entry is answered without building a key.
    const last = this.lastTimeless;
    if (last !== null && last.model === model && last.provider === provider) return last.entry.kind === 'none' ? null : last.entry;
    const timeless = `t\u0000${provider ?? ''}\u0000${model}`;
    let e = this.table.get(timeless);
    if (e) this.lastTimeless = { provider, model, entry: e };
    if (!e) {
      const key = `h\u0000${provider ?? ''}\u0000${model}\u0000${Math.floor(ts / HOUR)}`;
      e = this.table.get(key);
      if (!e) {
        const found = tableEntry(provider, model, Math.floor(ts / HOUR) * HOUR);
        e = found.entry;
        this.table.set(found.timeless ? timeless : key, e);
        if (found.timeless) this.lastTimeless = { provider, model, entry: e };
      }
    }
    return e.kind === 'none' ? null : e;
  }
}

function split(r: Rates, t: CallTokens, source: CostSource): PricedCall {
  const newCost = t.input * r.input + t.cacheWrite * r.cacheWrite;
  const readCost = t.cacheRead * r.cacheRead;
  return { cost: newCost + readCost + t.output * r.output, source, newCost, readCost };
}

/** The split of `r`, scaled so the parts add up to `cost`. */
function scaled(r: Rates, t: CallTokens, cost: number, source: CostSource): PricedCall {
  const s = split(r, t, source);
  if (s.cost <= 0) return { cost, source, newCost: 0, readCost: 0 };
  const f = cost / s.cost;
  return { cost, source, newCost: s.newCost * f, readCost: s.readCost * f };
}

/** The library's price for the call (its input_tokens includes the cached tokens), or null. */
function libraryPrice(provider: string | null, model: string, ts: number, t: CallTokens): number | null {
  const usage = { input_tokens: t.input + t.cacheRead + t.cacheWrite, cache_read_tokens: t.cacheRead, cache_write_tokens: t.cacheWrite, output_tokens: t.output };
  return libraryCall(usage, provider, model, ts).total;
}

/**
 * The library's price of `usage`, or null; `timeless`: the answer is the same at any time (the
 * model has one price, or the provider or model is not in the table). A library error is never
 * timeless (it may come from the price of one period).
 */
function libraryCall(usage: Record<string, number>, provider: string | null, model: string, ts: number): { total: number; firstTier: number; timeless: boolean } | { total: null; timeless: boolean } {
  const timestamp = new Date(ts);
  try {
    const r = (provider ? calcPrice(usage, model, { providerId: provider.toLowerCase(), timestamp }) : null) ?? calcPrice(usage, model, { timestamp });
    if (!r) return { total: null, timeless: true };
    // Tiers start at an input size (the tier applies above it): the lowest start of any price.
    let firstTier = Infinity;
    for (const v of Object.values(r.model_price)) {
      if (typeof v === 'object' && v !== null) for (const tier of v.tiers) firstTier = Math.min(firstTier, tier.start);
    }
    return { total: r.total_price, firstTier, timeless: !Array.isArray(r.model.prices) };
  } catch {
    return { total: null, timeless: false };
  }
}

/** The table entry of (provider, model) at time `at`, and whether it holds at any time. */
function tableEntry(provider: string | null, model: string, at: number): { entry: TableEntry; timeless: boolean } {
  // Few tokens, so a tiered price answers with its base tier.
  const M = 1000;
  const inOnly = libraryCall({ input_tokens: M }, provider, model, at);
  if (inOnly.total === null) return { entry: { kind: 'none' }, timeless: inOnly.timeless };
  const out = libraryCall({ output_tokens: M }, provider, model, at);
  const cr = libraryCall({ input_tokens: M, cache_read_tokens: M }, provider, model, at);
  const cw = libraryCall({ input_tokens: M, cache_write_tokens: M }, provider, model, at);
  const rates: Rates = {
    input: inOnly.total / M,
    output: (out.total ?? 0) / M,
    cacheRead: (cr.total ?? inOnly.total) / M,
    cacheWrite: (cw.total ?? inOnly.total) / M,
  };
  const timeless = inOnly.timeless && out.timeless && cr.timeless && cw.timeless;
  return { entry: Number.isFinite(inOnly.firstTier) ? { kind: 'tiered', rates, firstTier: inOnly.firstTier } : { kind: 'flat', rates }, timeless };
}
