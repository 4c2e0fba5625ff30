// The dataset panel's view of the pure cores (src/data, src/tokens): the few calls the session
// makes, adapted to one shape, so a test may swap in a slow or failing engine where the real one is instant.
import { openDataset } from '../../core/datasets/open';
import { searchWithSnippets } from '../../core/datasets/querySearch';
import { computeStats } from '../../core/datasets/stats';
import { loadTokenizer } from '../../core/tokens/tokenizer';
import type {
  DatasetSource,
  DatasetStats,
  ProgressInfo,
  SearchQuery,
  StatsOptions,
  TokenChip,
} from '../../core/datasets/types';
import type { DatasetSearchHit } from '../../../protocol/webview';

/** What the token view needs from a loaded tokenizer. */
export interface ChipTokenizer {
  chips(ids: ArrayLike<number>, labels?: ArrayLike<number>, attentionMask?: ArrayLike<number>): TokenChip[];
  readonly bosId?: number;
  readonly eosId?: number;
  readonly padId?: number;
}

export interface SearchCallbacks {
  signal: AbortSignal;
  onMatch(hit: DatasetSearchHit): void;
  onProgress(p: ProgressInfo): void;
}

export interface DatasetEngines {
  open(path: string, opts: { signal?: AbortSignal; indexCacheDir?: string }): Promise<DatasetSource>;
  computeStats(src: DatasetSource, opts: StatsOptions): Promise<DatasetStats>;
  search(src: DatasetSource, query: SearchQuery, cb: SearchCallbacks): Promise<void>;
  loadTokenizer(path: string): Promise<ChipTokenizer>;
}

export const defaultEngines: DatasetEngines = {
  open: (path, opts) => openDataset(path, opts),
  computeStats: (src, opts) => computeStats(src, opts),
  // Snippets for the hits the panel lists (it lists the first 1000); later hits are only counted.
  search: (src, query, cb) =>
    searchWithSnippets(src, query, {
      signal: cb.signal,
      onProgress: cb.onProgress,
      maxSnippets: 1000,
      onMatch: (row, column, snippet) => cb.onMatch(snippet ? { row, column, snippet } : { row, column }),
    }),
  // loadTokenizer shares one handle per tokenizer.json (and reloads when the file changes).
  loadTokenizer: (path) => loadTokenizer(path),
};
