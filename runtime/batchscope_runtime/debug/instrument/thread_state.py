"""Per-thread state shared by the proxies and the patches of one process.

torch calls the loader's inputs one after the other on the same thread (fetch, then collate; the
main thread's `__next__`, then the user's stage hooks), so what one stage learns reaches the next
through this thread-local rather than through torch's own objects:
    ctx         BatchCtx of the batch this thread is fetching/collating (None between batches)
    fetch_t     perf_counter() at the start of a per-index fetch (torch < 2.0)
    iter_inner  the user's IterableDataset this thread iterates (for source locations)
    main_batch  (loader id, name, epoch, batch, data, total, first batch of the epoch) the main
                thread's iterator last handed out
    in_pin      True inside the pin-memory hook (pin_memory() recurses into containers)
"""

import threading

tls = threading.local()
