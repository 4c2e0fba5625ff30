"""DataLoader instrumentation: wrap the loader's public inputs when each iterator is created.

Hooks (each installed once, guarded, reversible):
- `_BaseDataLoaderIter.__init__`: before torch reads the loader, swap in module-level, picklable
  proxies for `dataset`, `collate_fn`, `batch_sampler`/`sampler` and `worker_init_fn`
  (`object.__setattr__`, since DataLoader refuses those assignments after init);
- `_BaseDataLoaderIter.__next__`: which batch the main thread waits for / just got;
- `torch.utils.data._utils.pin_memory.pin_memory`: the pin-memory stage.
torch's worker loop is never copied or replaced. Works on torch 1.13 and 2.x.
"""
import inspect
import os
import sys
import threading
import time
import weakref

from . import agent as _agent_mod
from . import wire

_installed = False
_orig = {}
_loader_ids = weakref.WeakKeyDictionary()
_loader_names = weakref.WeakKeyDictionary()
_next_loader = [0]
_tls = threading.local()
_HERE = os.path.dirname(os.path.abspath(__file__))


def _agent():
    return _agent_mod.get()


class TaggedIndices(list):
    """One batch's indices plus where it belongs (`_bs` = (loader id, name, epoch, batch, total)).

    A list subclass with an attribute: it pickles through the worker index queue under fork, spawn
    and forkserver, and user code that indexes or iterates it sees a plain list.
    """

    def __reduce__(self):
        return (_rebuild_tagged, (type(self), list(list.__iter__(self)), getattr(self, "_bs", None)))

    def __iter__(self):
        # torch < 2.0 has no __getitems__: its fetcher iterates the index list once, in the
        # fetching process, and calls dataset[i] per index. That first iteration begins the batch.
        meta = self.__dict__.pop("_bs", None)
        if meta is not None:
            _begin_map_batch(self, meta)
        return list.__iter__(self)


def _tag(cls, items, meta):
    t = cls(items)
    t._bs = meta
    return t


def _rebuild_tagged(cls, items, meta):
    return _tag(cls, items, meta)


class TaggedIterIndices(TaggedIndices):
    """For an IterableDataset torch iterates the index list once per batch inside fetch: that is our
    signal that a batch begins in this process."""

    def __iter__(self):
        meta = self.__dict__.pop("_bs", None)
        if meta is not None:
            _begin_iterable_batch(self, meta)
        return list.__iter__(self)


def _take_meta(indices):
    """The batch tag, consumed so a later iteration of the same list does not begin it again."""
    return indices.__dict__.pop("_bs", None) if isinstance(indices, TaggedIndices) else None


# ---------- proxies of the loader inputs (module level: spawn/forkserver pickle them)

class _Proxy:
    """Passes unknown attributes (state_dict, load_state_dict, set_epoch, …) through to the original."""

    def __bool__(self):  # never fall back to __len__ for truth: an infinite sampler has none
        return True

    def __getattr__(self, name):
        inner = self.__dict__.get("_bs_inner")
        if inner is None or (name.startswith("__") and name.endswith("__")):
            raise AttributeError(name)
        return getattr(inner, name)


def _make_proxy(cls, state):
    obj = cls.__new__(cls)
    obj.__dict__.update(state)
    return obj


class BatchSamplerProxy(_Proxy):
    """Wraps `batch_sampler` (or `sampler` without auto-collation): tags each index list. Runs in the main process."""

    def __init__(self, inner, loader_id, loader_name, iterable):
        self._bs_inner = inner
        self._bs_loader_id = loader_id
        self._bs_loader_name = loader_name
        self._bs_iterable = iterable
        self._bs_epoch = -1

    def __reduce__(self):
        return (_make_proxy, (type(self), dict(self.__dict__)))

    def __len__(self):
        return len(self._bs_inner)

    def __iter__(self):
        self._bs_epoch += 1
        epoch = self._bs_epoch
        cls = TaggedIterIndices if self._bs_iterable else TaggedIndices
        lid, name = self._bs_loader_id, self._bs_loader_name
        try:
            total = len(self._bs_inner)
        except TypeError:
            total = None
        for n, idx in enumerate(self._bs_inner):
            a = _agent()
            if a is None:
                yield idx
                continue
            if isinstance(idx, (list, tuple, range)):
                tagged = _tag(cls, idx, (lid, name, epoch, n, total))
            else:  # no auto-collation: one index per "batch"; it cannot carry a tag
                tagged = idx
            if a.cfg.armed:
                ctx = _agent_mod.BatchCtx(lid, name, epoch, n, list(idx) if isinstance(idx, list) else [idx], None, 1)
                ctx.extra = {"loader_object": _loader_by_id(lid)}
                a.boundary("sampler", ctx)
            yield tagged


class MapDatasetProxy(_Proxy):
    """Wraps a map-style dataset. Defines `__getitems__` so a whole batch of indices arrives in one call."""

    def __init__(self, inner, loader_id, loader_name):
        self._bs_inner = inner
        self._bs_loader_id = loader_id
        self._bs_loader_name = loader_name

    def __reduce__(self):
        return (_make_proxy, (type(self), dict(self.__dict__)))

    def __len__(self):
        return len(self._bs_inner)

    def __getitem__(self, index):
        ctx = getattr(_tls, "ctx", None)
        if ctx is None or ctx.stage != "fetch":
            return self._bs_inner[index]
        # torch < 2.0 path: one call per index inside a batch begun by TaggedIndices.__iter__
        a = _agent()
        if a is None:
            return self._bs_inner[index]
        if a.cfg.armed:
            ctx.sample_pos = (len(ctx.samples), index)
            ctx.sample = None
            a.boundary("sample", ctx)
        try:
            sample = self._bs_inner[index]
        except Exception as e:
            _tls.ctx = None
            ctx.timings["fetch"] = time.perf_counter() - _tls.fetch_t
            a.exception("fetch_error", "fetch", ctx, e)
            a.finish(ctx, e)
            raise
        ctx.samples.append(sample)
        return sample

    def __getitems__(self, indices):
        a = _agent()
        meta = _take_meta(indices)
        if a is None or meta is None:
            return _fetch_plain(self._bs_inner, indices)
        ctx = _new_ctx(a, meta, indices, self._bs_inner)
        ctx.stage = "fetch"
        a.begin(ctx)
        a.boundary("fetch", ctx)
        t = time.perf_counter()
        inner = self._bs_inner
        try:
            own = getattr(inner, "__getitems__", None)
            if own is not None:
                data = own(list(list.__iter__(indices)))
            else:
                data = []
                armed = a.cfg.armed
                for pos, i in enumerate(list.__iter__(indices)):
                    if armed:
                        ctx.sample_pos = (pos, i)
                        ctx.sample = None
                        ctx.samples = data
                        a.boundary("sample", ctx)
                        armed = a.cfg.armed
                    data.append(inner[i])
        except Exception as e:
            ctx.timings["fetch"] = time.perf_counter() - t
            a.exception("fetch_error", "fetch", ctx, e)
            a.finish(ctx, e)
            raise
        ctx.timings["fetch"] = time.perf_counter() - t
        ctx.samples = data
        ctx.sample_pos = None
        _tls.ctx = ctx
        return data


def _fetch_plain(inner, indices):
    own = getattr(inner, "__getitems__", None)
    if own is not None:
        return own(list(indices))
    return [inner[i] for i in list.__iter__(indices)] if isinstance(indices, list) else [inner[i] for i in indices]


def _new_ctx(a, meta, indices, inner):
    lid, name, epoch, n, total = meta
    if a.kind == "worker":
        tid = a.thread_id
        wid = a.worker_id
    else:
        tid, wid = 1, None
    ctx = _agent_mod.BatchCtx(lid, name, epoch, n, list(list.__iter__(indices)), wid, tid)
    ctx.total = total
    _sources(ctx, inner)
    return ctx


_source_cache = {}


def _sources(ctx, inner):
    key = type(inner)
    src = _source_cache.get(key)
    if src is None:
        src = {}
        fn = getattr(key, "__getitem__", None) or getattr(key, "__iter__", None)
        loc = _where(fn)
        if loc:
            src["fetch"] = loc
            src["sample"] = loc
        src["module"] = key.__module__
        _source_cache[key] = src
    ctx.sources = src  # shared per dataset type; never mutated per batch


def _where(fn):
    try:
        fn = inspect.unwrap(fn)
        code = getattr(fn, "__code__", None) or getattr(getattr(fn, "__call__", None), "__code__", None)
        if code is None:
            return None
        return (os.path.abspath(code.co_filename), code.co_firstlineno)
    except Exception:
        return None


def _begin_map_batch(indices, meta):
    a = _agent()
    if a is None:
        return
    ctx = _new_ctx(a, meta, indices, _inner_dataset(meta[0]))
    ctx.stage = "fetch"
    ctx.samples = []
    ctx.timings["fetch"] = 0.0
    _tls.ctx = ctx
    a.begin(ctx)
    a.boundary("fetch", ctx)
    _tls.fetch_t = time.perf_counter()


def _inner_dataset(lid):
    """The user's dataset behind loader `lid`, for source locations (worker: its own copy)."""
    try:
        from torch.utils.data import get_worker_info
        info = get_worker_info()
    except Exception:
        info = None
    proxy = info.dataset if info is not None else getattr(_loader_by_id(lid), "dataset", None)
    return getattr(proxy, "_bs_inner", None) or object()


def _begin_iterable_batch(indices, meta):
    a = _agent()
    if a is None:
        return
    ctx = _new_ctx(a, meta, indices, getattr(_tls, "iter_inner", None) or _inner_dataset(meta[0]))
    ctx.indices = []  # an iterable dataset has no indices: record the sample positions it yields
    ctx.stage = "fetch"
    ctx.samples = []
    ctx.timings["fetch"] = 0.0
    _tls.ctx = ctx
    _tls.fetch_t = time.perf_counter()
    a.begin(ctx)
    a.boundary("fetch", ctx)
    _tls.fetch_t = time.perf_counter()


def _make_iterable_proxy_cls():
    from torch.utils.data import IterableDataset

    class IterableDatasetProxy(_Proxy, IterableDataset):
        """Wraps an IterableDataset (stays an IterableDataset so torch picks the iterable fetcher)."""

        def __init__(self, inner, loader_id, loader_name):
            self._bs_inner = inner
            self._bs_loader_id = loader_id
            self._bs_loader_name = loader_name

        def __reduce__(self):
            return (_make_proxy, (_iterable_proxy, dict(self.__dict__)))

        def __len__(self):
            return len(self._bs_inner)

        def __iter__(self):
            inner = self._bs_inner
            _tls.iter_inner = inner
            count = 0
            for sample in inner:
                ctx = getattr(_tls, "ctx", None)
                a = _agent() if ctx is not None else None
                if a is not None and ctx.stage == "fetch":
                    ctx.indices.append(count)
                    ctx.samples.append(sample)
                    if a.cfg.armed:
                        ctx.sample_pos = (len(ctx.samples) - 1, count)
                        ctx.sample = sample
                        a.boundary("sample", ctx)
                count += 1
                yield sample

    IterableDatasetProxy.__module__ = __name__
    IterableDatasetProxy.__qualname__ = "IterableDatasetProxy"
    return IterableDatasetProxy


_iterable_proxy = None


def __getattr__(name):  # module attribute for pickling by reference: instrument.IterableDatasetProxy
    if name == "IterableDatasetProxy":
        return _get_iterable_proxy()
    raise AttributeError(name)


def _get_iterable_proxy():
    global _iterable_proxy
    if _iterable_proxy is None:
        _iterable_proxy = _make_iterable_proxy_cls()
        globals()["IterableDatasetProxy"] = _iterable_proxy
    return _iterable_proxy


class CollateProxy(_Proxy):
    """Wraps `collate_fn`: the collate stage, collate_error, batch_ready and nan_inf."""

    def __init__(self, inner):
        self._bs_inner = inner

    def __reduce__(self):
        return (_make_proxy, (type(self), dict(self.__dict__)))

    def __call__(self, samples):
        ctx = getattr(_tls, "ctx", None)
        if ctx is None:
            return self._bs_inner(samples)
        _tls.ctx = None
        a = _agent()
        if a is None:
            return self._bs_inner(samples)
        if ctx.stage == "fetch" and "fetch_t" in _tls.__dict__ and not ctx.timings.get("fetch"):
            ctx.timings["fetch"] = time.perf_counter() - _tls.fetch_t
        ctx.samples = samples
        ctx.stage = "collate"
        a.mark("collate")
        loc = self.__dict__.get("_bs_where")
        if loc is None:
            loc = self.__dict__["_bs_where"] = _where(self._bs_inner) or False
        ctx.extra_src = loc or None
        a.boundary("collate", ctx)
        t = time.perf_counter()
        try:
            batch = self._bs_inner(samples)
        except Exception as e:
            ctx.timings["collate"] = time.perf_counter() - t
            a.exception("collate_error", "collate", ctx, e)
            a.finish(ctx, e)
            raise
        ctx.timings["collate"] = time.perf_counter() - t
        ctx.batch = batch
        ctx.stage = "batch_ready"
        if a.cfg.nan:
            try:
                bad = _nonfinite(batch)
                if bad:
                    ctx.extra = {"nonfinite": bad}
                    a.stop("exception", "batch_ready", ctx, text="nan_inf",
                           description="non-finite values in %s" % ", ".join("%s (%d)" % kv for kv in bad.items()))
            except Exception as e:
                a._internal_error(e)
        a.boundary("batch_ready", ctx)
        a.finish(ctx)
        return batch


def _nonfinite(batch, prefix="batch", out=None):
    out = {} if out is None else out
    torch = sys.modules.get("torch")
    if torch is None:
        return out
    if isinstance(batch, torch.Tensor):
        if batch.is_floating_point():
            n = int((~torch.isfinite(batch)).sum())
            if n:
                out[prefix] = n
    elif isinstance(batch, dict):
        for k, v in batch.items():
            _nonfinite(v, "%s[%r]" % (prefix, k), out)
    elif isinstance(batch, (list, tuple)):
        for i, v in enumerate(batch):
            _nonfinite(v, "%s[%d]" % (prefix, i), out)
    return out


class WorkerInitProxy(_Proxy):
    """Wraps `worker_init_fn`: connects the worker's agent before user code runs in it."""

    def __init__(self, inner):
        self._bs_inner = inner

    def __reduce__(self):
        return (_make_proxy, (type(self), dict(self.__dict__)))

    def __call__(self, worker_id):
        _agent()
        if self._bs_inner is not None:
            return self._bs_inner(worker_id)


# ---------- the iterator hooks

def _loader_by_id(lid):
    for loader, i in list(_loader_ids.items()):
        if i == lid:
            return loader
    return None


def name_loader(loader, name):
    """Name a DataLoader for the debugger (otherwise the variable it was iterated through)."""
    _loader_names[loader] = str(name)


def _guess_name(loader):
    f = sys._getframe(2)
    while f is not None:
        fn = f.f_code.co_filename
        if "torch" + os.sep + "utils" not in fn and not fn.startswith(_HERE):
            for scope in (f.f_locals, f.f_globals):
                for k, v in scope.items():
                    if v is loader and not k.startswith("_"):
                        return k
            return None
        f = f.f_back
    return None


def _instrument(loader):
    a = _agent()
    if a is None or a.kind != "main":
        return None
    lid = _loader_ids.get(loader)
    if lid is None:
        lid = _loader_ids[loader] = _next_loader[0]
        _next_loader[0] += 1
    name = _loader_names.get(loader)
    if name is None:
        name = _loader_names[loader] = _guess_name(loader) or "loader%d" % lid
    ds = loader.dataset
    from torch.utils.data import IterableDataset
    try:
        from torch.utils.data.datapipes.datapipe import IterDataPipe, MapDataPipe
        pipes = (IterDataPipe, MapDataPipe)
    except Exception:
        pipes = ()
    iterable = isinstance(ds, IterableDataset)
    if pipes and isinstance(ds, pipes):
        return lid  # DataPipes carry their own sharding logic: leave them alone
    if not isinstance(ds, (MapDatasetProxy, _get_iterable_proxy())):
        proxy = _get_iterable_proxy()(ds, lid, name) if iterable else MapDatasetProxy(ds, lid, name)
        object.__setattr__(loader, "dataset", proxy)
    if loader.batch_sampler is not None:
        if not isinstance(loader.batch_sampler, BatchSamplerProxy):
            object.__setattr__(loader, "batch_sampler", BatchSamplerProxy(loader.batch_sampler, lid, name, iterable))
    elif not isinstance(loader.sampler, BatchSamplerProxy):
        object.__setattr__(loader, "sampler", BatchSamplerProxy(loader.sampler, lid, name, iterable))
    if not isinstance(loader.collate_fn, CollateProxy):
        object.__setattr__(loader, "collate_fn", CollateProxy(loader.collate_fn))
    if loader.num_workers > 0 and not isinstance(loader.worker_init_fn, WorkerInitProxy):
        object.__setattr__(loader, "worker_init_fn", WorkerInitProxy(loader.worker_init_fn))
    return lid


def _iter_init(self, loader, *args, **kwargs):
    lid = None
    try:
        lid = _instrument(loader)
    except Exception as e:  # instrumentation must never break the user's DataLoader
        print("batchscope: DataLoader not instrumented: %s: %s" % (type(e).__name__, e), file=sys.stderr)
    _orig["init"](self, loader, *args, **kwargs)
    if lid is None:
        return
    a = _agent()
    if a is None:
        return
    try:
        name = _loader_names.get(loader) or "loader%d" % lid
        user_timeout = getattr(self, "_timeout", 0) if getattr(self, "_num_workers", 0) else 0
        object.__setattr__(self, "_bs_info", (lid, name, weakref.ref(loader), user_timeout))
        # The pin-memory thread does not exist yet (the subclass starts it after this base __init__):
        # _pin() recognises it on its first batch.
        a.register_iterator(weakref.ref(self), user_timeout)
    except Exception as e:
        print("batchscope: iterator not tracked: %s: %s" % (type(e).__name__, e), file=sys.stderr)


def _iter_next(self):
    info = getattr(self, "_bs_info", None)
    a = _agent() if info is not None else None
    if a is None:
        return _orig["next"](self)
    try:
        lid, name, epoch, n, total = _wait_begin(a, self, info)
    except Exception:  # bookkeeping must never break iteration
        return _orig["next"](self)
    try:
        data = _orig["next"](self)
    finally:
        a.waiting = None
    _tls.main_batch = (lid, name, epoch, n, data, total)
    a.progress(name, epoch, n, total)
    return data


def _wait_begin(a, it, info):
    lid, name, loader_ref, user_timeout = info
    loader = loader_ref()
    n = getattr(it, "_num_yielded", 0)
    epoch = max(getattr(_index_sampler(loader), "_bs_epoch", 0), 0)
    try:
        total = len(it)
    except TypeError:
        total = None
    worker = None
    nw = getattr(it, "_num_workers", 0)
    if nw:
        task = getattr(it, "_task_info", {}).get(getattr(it, "_rcvd_idx", -1))
        worker = task[0] if task else n % nw
    a.waiting = (time.monotonic(), name, epoch, n, worker, total, user_timeout, lid)
    return lid, name, epoch, n, total


def _index_sampler(loader):
    if loader is None:
        return None
    bs = getattr(loader, "batch_sampler", None)
    return bs if bs is not None else getattr(loader, "sampler", None)


def _pin(data, *args, **kwargs):
    if getattr(_tls, "in_pin", False):
        return _orig["pin"](data, *args, **kwargs)
    a = _agent()
    if a is None:
        return _orig["pin"](data, *args, **kwargs)
    ident = threading.get_ident()
    lid = a.pin_threads.get(ident)
    if lid is None:
        lid = False if threading.current_thread() is threading.main_thread() else _register_pin_thread(a, ident)
        a.pin_threads[ident] = lid
    if not a.cfg.armed:
        return _orig["pin"](data, *args, **kwargs)
    if lid is not False:
        tid, idx = wire.thread_id_for_pin(lid), -1
        caller = sys._getframe(1)
        if isinstance(caller.f_locals.get("idx"), int):  # torch's pin loop holds the batch's send index
            idx = caller.f_locals["idx"]
    else:
        tid = 1
        w = a.waiting
        if w is not None:  # inline pinning inside __next__ (num_workers=0): the batch being produced
            lid, idx = w[7], w[3]
        else:  # called after the batch was handed out (user code)
            mb = getattr(_tls, "main_batch", None)
            lid, idx = (mb[0], mb[3]) if mb else (0, -1)
    loader = _loader_by_id(lid)
    name = _loader_names.get(loader, "loader%d" % lid) if loader is not None else "loader%d" % lid
    ctx = _agent_mod.BatchCtx(lid, name, max(getattr(_index_sampler(loader), "_bs_epoch", 0), 0), idx, None, None, tid)
    ctx.batch = data
    a.boundary("pin_memory", ctx)
    _tls.in_pin = True
    try:
        return _orig["pin"](data, *args, **kwargs)
    finally:
        _tls.in_pin = False


def _register_pin_thread(a, ident):
    """Find which live iterator owns this pin-memory thread; announce it as thread 2 + loader id."""
    for ref, _ in list(a.iterators):
        it = ref()
        pin = getattr(it, "_pin_memory_thread", None)
        info = getattr(it, "_bs_info", None)
        if pin is not None and info is not None and pin.ident == ident:
            a.pin_threads[ident] = info[0]
            a.send({"type": "thread", "reason": "started", "threadId": wire.thread_id_for_pin(info[0]),
                    "name": "pin memory · %s (pid %d)" % (info[1], a.pid)})
            return info[0]
    return False  # not a pin thread we know: treat like the main thread


class _StageCM:
    """`hooks.stage(name, ...)` while a session is active: stop at entry, time the stage."""

    __slots__ = ("name", "info", "t")

    def __init__(self, name, info):
        self.name = name
        self.info = info

    def __enter__(self):
        a = _agent()
        if a is not None and a.cfg.armed:
            mb = getattr(_tls, "main_batch", None)
            info = self.info
            # The batch's identity is the one the DataLoader iterator last handed out, so steps and
            # conditions line up with the worker stages; the caller's own counter (a global
            # micro-step, say) stays visible as `info_batch_index`.
            lid, lname, epoch, n = (mb[0], mb[1], mb[2], mb[3]) if mb else (0, "loader0", 0, info.get("batch_index", -1))
            ctx = _agent_mod.BatchCtx(lid, lname, epoch, n, None, None, 1)
            b = info.get("batch")
            ctx.batch = b if b is not None else (mb[4] if mb else None)
            extra = {("info_batch_index" if k == "batch_index" else k): v for k, v in info.items() if k != "batch"}
            if extra:
                ctx.extra = extra
            caller = sys._getframe(2)
            ctx.sources = {self.name: (os.path.abspath(caller.f_code.co_filename), caller.f_lineno),
                           "module": caller.f_globals.get("__name__")}
            a.boundary(self.name, ctx)
        self.t = time.perf_counter()
        return self

    def __exit__(self, *exc):
        return False


class Session:
    """What `hooks._active` points at while instrumentation is installed."""

    def stage(self, name, **info):
        return _StageCM(name, info)


def install():
    """Patch torch once. Safe to call repeatedly; returns False when torch is missing."""
    global _installed
    if _installed:
        return True
    try:
        from torch.utils.data import dataloader as dl
        from torch.utils.data._utils import pin_memory as pm
    except Exception:
        return False
    base = dl._BaseDataLoaderIter
    if getattr(base.__init__, "_batchscope", False):
        _installed = True
        return True
    _orig["init"] = base.__init__
    _orig["next"] = base.__next__
    _iter_init._batchscope = True
    _iter_next._batchscope = True
    base.__init__ = _iter_init
    base.__next__ = _iter_next
    if hasattr(pm, "pin_memory"):
        _orig["pin"] = pm.pin_memory
        _pin._batchscope = True
        pm.pin_memory = _pin
    from . import hooks
    hooks._active = Session()
    _installed = True
    return True


def uninstall():
    global _installed
    if not _installed:
        return
    from torch.utils.data import dataloader as dl
    from torch.utils.data._utils import pin_memory as pm
    dl._BaseDataLoaderIter.__init__ = _orig["init"]
    dl._BaseDataLoaderIter.__next__ = _orig["next"]
    if "pin" in _orig:
        pm.pin_memory = _orig["pin"]
    from . import hooks
    hooks._active = None
    _installed = False
