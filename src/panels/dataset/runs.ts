// The dataset panel's background runs over the whole dataset: search, statistics and the column header
// summaries. Each has its own AbortController that also fires when the panel closes; each reports
// progress and ends with exactly one "done" message (cancelled, failed or finished). No vscode import.
import type { DatasetSearchHit, DatasetToWebview } from '../../../protocol/webview';
import { computeColumnStats, type ColumnSummary } from '../../core/datasets/columnStats';
import { eosRuleFor } from '../../core/datasets/eosCheck';
import type { DatasetSource, DatasetStats } from '../../core/datasets/types';
import type { DatasetInfoEntry } from '../../core/template/rowToMessages';
import type { ChipTokenizer, DatasetEngines } from './backends';
import { parseSearchQuery } from './searchQuery';
import { tokenLengthStats, type TextTokenizer } from './textTokens';

/** The error list sent to the webview is capped; the banner still gives the count. */
const MAX_ERRORS_SENT = 500;
const HIT_FLUSH_MS = 100;
const HIT_FLUSH_COUNT = 200;

export interface RunDeps {
  post(msg: DatasetToWebview): void;
  log?(message: string): void;
  engines: DatasetEngines;
  /** Fires when the panel closes. */
  panel: AbortSignal;
}

export function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function isAbort(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || err.message === 'cancelled');
}

/** Runs `body` with `abort` also fired by the panel closing; the listener goes when it ends. */
async function tied(panel: AbortSignal, abort: AbortController, body: () => Promise<void>): Promise<void> {
  const onDispose = (): void => abort.abort();
  panel.addEventListener('abort', onDispose, { once: true });
  try {
    await body();
  } finally {
    panel.removeEventListener('abort', onDispose);
  }
}

export async function runSearch(
  deps: RunDeps,
  src: DatasetSource,
  raw: string,
  id: number,
  abort: AbortController,
): Promise<void> {
  const parsed = parseSearchQuery(
    raw,
    src.columns.map((c) => c.name),
  );
  if ('error' in parsed) {
    deps.post({ type: 'dataset/searchDone', searchId: id, count: 0, cancelled: false, error: parsed.error });
    return;
  }
  let pending: DatasetSearchHit[] = [];
  let count = 0;
  let last = Date.now();
  const flush = (): void => {
    if (pending.length) deps.post({ type: 'dataset/searchHits', searchId: id, hits: pending });
    pending = [];
    last = Date.now();
  };
  await tied(deps.panel, abort, async () => {
    try {
      await deps.engines.search(src, parsed.query, {
        signal: abort.signal,
        onMatch: (hit) => {
          count++;
          pending.push(hit);
          if (pending.length >= HIT_FLUSH_COUNT || Date.now() - last > HIT_FLUSH_MS) flush();
        },
        onProgress: (p) => {
          flush();
          deps.post({ type: 'dataset/searchProgress', searchId: id, done: p.done, total: p.total });
        },
      });
      flush();
      deps.post({ type: 'dataset/searchDone', searchId: id, count, cancelled: false });
    } catch (err) {
      flush();
      const cancelled = isAbort(err) || abort.signal.aborted;
      deps.post({
        type: 'dataset/searchDone',
        searchId: id,
        count,
        cancelled,
        ...(cancelled ? {} : { error: message(err) }),
      });
    }
  });
}

export interface StatsTokenizer {
  tokenizer: Promise<ChipTokenizer | null>;
  /** The chat template beside the tokenizer, or null. */
  templatePath(): string | null;
  entry(): DatasetInfoEntry | undefined;
}

export async function runStats(
  deps: RunDeps,
  src: DatasetSource,
  cutoffLen: number,
  abort: AbortController,
  t: StatsTokenizer,
): Promise<void> {
  await tied(deps.panel, abort, async () => {
    try {
      const tok = await t.tokenizer;
      const stats = await deps.engines.computeStats(src, {
        cutoffLen,
        ...(tok?.bosId !== undefined ? { bosId: tok.bosId } : {}),
        ...(tok?.eosId !== undefined ? { eosId: tok.eosId } : {}),
        ...(tok?.padId !== undefined ? { padId: tok.padId } : {}),
        ...eosOptions(tok),
        signal: abort.signal,
        onProgress: (p) => deps.post({ type: 'dataset/statsProgress', done: p.done, total: p.total }),
      });
      if (abort.signal.aborted) throw new Error('cancelled');
      const out = (await textTokenStats(deps, src, stats, tok, abort.signal, t)) ?? stats;
      deps.post({ type: 'dataset/stats', stats: { ...out, errors: out.errors.slice(0, MAX_ERRORS_SENT) } });
      deps.post({ type: 'dataset/statsDone', cancelled: false });
    } catch (err) {
      const cancelled = isAbort(err) || abort.signal.aborted;
      deps.post({ type: 'dataset/statsDone', cancelled, ...(cancelled ? {} : { error: message(err) }) });
    }
  });
}

/**
 * Untokenized data with a tokenizer that encodes: lengths in tokens through the chat template beside it
 * (else the text column through the tokenizer), instead of characters. Null keeps the character stats.
 */
async function textTokenStats(
  deps: RunDeps,
  src: DatasetSource,
  stats: DatasetStats,
  tok: ChipTokenizer | null,
  signal: AbortSignal,
  t: StatsTokenizer,
): Promise<DatasetStats | null> {
  const full = tok as (ChipTokenizer & Partial<TextTokenizer>) | null;
  if (stats.lengthUnit !== 'characters' || !full || typeof full.encode !== 'function') return null;
  try {
    return await tokenLengthStats(src, stats, {
      tokenizer: full as TextTokenizer,
      templatePath: t.templatePath(),
      entry: t.entry(),
      signal,
      onProgress: (p) => deps.post({ type: 'dataset/statsProgress', done: p.done, total: p.total }),
    });
  } catch (err) {
    if (isAbort(err) || signal.aborted) throw err;
    deps.log?.(`dataset panel: token lengths through the template failed, showing characters: ${message(err)}`);
    return null;
  }
}

/** Posts the column summaries and returns them (the session re-sends them to a reloaded webview). */
export async function runColumnStats(
  deps: RunDeps,
  src: DatasetSource,
  abort: AbortController,
): Promise<ColumnSummary[] | undefined> {
  let out: ColumnSummary[] | undefined;
  await tied(deps.panel, abort, async () => {
    try {
      const columns = await computeColumnStats(src, {
        signal: abort.signal,
        onProgress: (p) => deps.post({ type: 'dataset/columnStatsProgress', done: p.done, total: p.total }),
      });
      out = columns;
      deps.post({ type: 'dataset/columnStats', columns });
      deps.post({ type: 'dataset/columnStatsDone', cancelled: false });
    } catch (err) {
      const cancelled = isAbort(err) || abort.signal.aborted;
      deps.post({ type: 'dataset/columnStatsDone', cancelled, ...(cancelled ? {} : { error: message(err) }) });
    }
  });
  return out;
}

/** End-of-turn tokens and the template text allowed after them, for the "no EOS" count (eosCheck.ts). */
function eosOptions(tok: ChipTokenizer | null | undefined): { endOfTurnIds?: number[]; afterEosIds?: number[] } {
  // Engines in tests may hand a chips-only tokenizer: then the plain eos id rule applies.
  const full = tok as (ChipTokenizer & { encode?: (text: string) => number[] }) | null | undefined;
  const rule =
    full && typeof full.encode === 'function'
      ? eosRuleFor({ eosId: full.eosId, encode: (t) => full.encode!(t) })
      : undefined;
  return rule ? { endOfTurnIds: [...rule.eos], afterEosIds: [...rule.trailing] } : {};
}
