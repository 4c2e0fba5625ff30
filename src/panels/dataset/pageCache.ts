// Page cache for the dataset panel: decoded rows are kept per page (LRU) so scrolling back and
// forth, selecting a row and re-rendering never decode the same batch twice. Concurrent requests
// for the same page share one read. No vscode import: unit-tested with node:test.

export type PageLoader<T> = (offset: number, limit: number) => Promise<T[]>;

export class PageCache<T> {
  private readonly pages = new Map<number, Promise<T[]>>();

  constructor(
    readonly pageSize: number,
    private readonly maxPages: number,
    private readonly load: PageLoader<T>,
  ) {
    if (!(pageSize > 0) || !(maxPages > 0)) throw new RangeError('page size and cache size must be positive');
  }

  /** Rows of page `page` (the last one may be short). A failed read is not cached. */
  page(page: number): Promise<T[]> {
    const hit = this.pages.get(page);
    if (hit) {
      this.pages.delete(page); // refresh its LRU position
      this.pages.set(page, hit);
      return hit;
    }
    const p = this.load(page * this.pageSize, this.pageSize);
    this.pages.set(page, p);
    p.catch(() => {
      if (this.pages.get(page) === p) this.pages.delete(page);
    });
    while (this.pages.size > this.maxPages) this.pages.delete(this.pages.keys().next().value as number);
    return p;
  }

  /** Rows [offset, offset+limit), from as many pages as they span. */
  async rows(offset: number, limit: number): Promise<T[]> {
    if (limit <= 0) return [];
    const first = Math.floor(offset / this.pageSize);
    const last = Math.floor((offset + limit - 1) / this.pageSize);
    const pages = await Promise.all(Array.from({ length: last - first + 1 }, (_, k) => this.page(first + k)));
    const flat = pages.flat();
    const start = offset - first * this.pageSize;
    return flat.slice(start, start + limit);
  }

  async row(index: number): Promise<T | undefined> {
    return (await this.rows(index, 1))[0];
  }

  has(page: number): boolean {
    return this.pages.has(page);
  }

  get size(): number {
    return this.pages.size;
  }

  clear(): void {
    this.pages.clear();
  }
}
