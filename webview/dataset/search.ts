// The search box's results: rows with the column and a snippet around the match (the match in a
// `mark`, built from text nodes only, never parsed as HTML), progress, count and cancel.
import type { DatasetFromWebview, DatasetSearchHit, DatasetToWebview } from '../../protocol/webview';
import { byId, clear, el } from './dom';

/** Results beyond this are counted but not listed: a list of a million rows helps nobody. */
const MAX_LISTED_HITS = 1000;

type Field = HTMLElement & { value: string };
type Progress = HTMLElement & { value?: number; max: number };
type SearchMessage = Extract<
  DatasetToWebview,
  { type: 'dataset/searchProgress' | 'dataset/searchHits' | 'dataset/searchDone' }
>;

function show(id: string, visible: boolean): void {
  byId(id).classList.toggle('hidden', !visible);
}

/** The text around a match, the match in a `mark`. */
export function snippetEl(s: NonNullable<DatasetSearchHit['snippet']>): HTMLElement {
  const box = el('span', 'snippet');
  const visible = (t: string) => t.replace(/\r?\n/g, '↵');
  box.append(
    document.createTextNode((s.before ? '…' : '') + visible(s.text.slice(0, s.start))),
    el('mark', undefined, visible(s.text.slice(s.start, s.start + s.length))),
    document.createTextNode(visible(s.text.slice(s.start + s.length)) + (s.after ? '…' : '')),
  );
  box.title = s.text;
  return box;
}

export class SearchList {
  private searchId = 0;
  private hitCount = 0;

  constructor(private readonly post: (msg: DatasetFromWebview) => void) {}

  start(): void {
    const query = (byId<Field>('search-input').value ?? '').trim();
    if (!query) return;
    this.hitCount = 0;
    clear(byId('search-results'));
    show('search-results', true);
    byId('search-status').textContent = 'Searching…';
    const p = byId<Progress>('search-progress');
    p.value = 0;
    show('search-progress', true);
    byId('search-cancel').removeAttribute('disabled');
    this.post({ type: 'dataset/search', query });
  }

  onMessage(msg: SearchMessage): void {
    if (msg.searchId < this.searchId) return; // a message of an older search
    this.searchId = msg.searchId;
    switch (msg.type) {
      case 'dataset/searchProgress': {
        const p = byId<Progress>('search-progress');
        p.max = Math.max(1, msg.total);
        p.value = msg.done;
        return;
      }
      case 'dataset/searchHits':
        return this.addHits(msg.hits);
      case 'dataset/searchDone': {
        show('search-progress', false);
        byId('search-cancel').setAttribute('disabled', '');
        const listed = msg.count > MAX_LISTED_HITS ? ` (first ${MAX_LISTED_HITS} listed)` : '';
        byId('search-status').textContent = msg.error
          ? `Search failed: ${msg.error}`
          : msg.cancelled
            ? `Cancelled after ${msg.count} matches`
            : `${msg.count} match${msg.count === 1 ? '' : 'es'}${listed}`;
        if (!msg.error && !msg.cancelled && msg.count === 0)
          byId('search-results').append(el('div', 'note', 'No matches.'));
      }
    }
  }

  private addHits(hits: DatasetSearchHit[]): void {
    const list = byId('search-results');
    for (const h of hits) {
      this.hitCount++;
      if (this.hitCount > MAX_LISTED_HITS) continue;
      const item = el('div', 'result');
      item.dataset.row = String(h.row);
      item.append(el('span', 'result-row', `row ${h.row}`), el('span', 'result-col', h.column));
      if (h.snippet) item.append(snippetEl(h.snippet));
      item.tabIndex = 0;
      list.append(item);
    }
    byId('search-status').textContent = `${this.hitCount} match${this.hitCount === 1 ? '' : 'es'}…`;
  }
}
