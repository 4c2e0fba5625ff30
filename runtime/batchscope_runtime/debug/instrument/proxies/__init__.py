"""Proxies of a DataLoader's public inputs, one module per input (like torch's data/_utils):

    base.py         what every proxy shares: attribute pass-through, pickling by state
    sampler.py      batch_sampler/sampler: tags each index list with its batch (main process)
    dataset.py      map-style dataset: the fetch and sample stages
    iterable.py     IterableDataset: the sample stage, one sample at a time
    collate.py      collate_fn: the collate and batch_ready stages, collate_error, nan_inf
    worker_init.py  worker_init_fn: connects a worker's agent before user code runs in it

They are module-level classes because spawn and forkserver workers unpickle them by reference.
"""
