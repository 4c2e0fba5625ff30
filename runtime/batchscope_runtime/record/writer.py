"""The recording: a bounded queue of batch snapshots and one writer thread appending them to an
Arrow IPC stream file.

The main thread (the DataLoader iterator hook) only snapshots and enqueues; converting to Arrow and
writing happen on the writer thread, so the training loop pays one tensor copy per batch. The writer
wakes every WAKE_AT batches (or FLUSH_EVERY_S) and writes what queued up as one record batch: its
Python work and its claims on the GIL are paid per group, not per batch. The queue is bounded: if
the disk cannot keep up the loop waits rather than the recording losing batches. The file is a
plain Arrow IPC stream (what `datasets` writes), flushed after every write, so a recording cut
short by a crash still opens up to its last whole group.
"""

import collections
import json
import os
import sys
import threading
import time

from . import columns

PROGRESS_EVERY_S = 0.5
GROUP_MAX = 16  # batches written as one record batch
WAKE_AT = 8  # queued batches that wake the writer early
FLUSH_EVERY_S = 0.25  # the writer's longest sleep: what a crash can lose beyond the queue
TAKE_MAX = 64  # batches taken per round (the loop keeps putting while the writer takes)
QUEUE_MAX = 32  # batches queued before the loop waits for the writer


class Recorder:
    def __init__(self, pa, opts, sinks):
        self.pa = pa
        self.opts = opts
        self.path = opts.path
        self.sinks = sinks  # callables(progress dict), called on the writer thread
        self.pid = os.getpid()
        self.accepting = True  # the main thread stops snapshotting once this is False
        self.offered = 0
        self._count_reached = False
        self.batches = 0
        self.rows = 0
        self.bytes = 0
        self.reason = None
        self.error = None
        self.skipped = set()
        self.dropped_columns = set()
        self._schema = None
        self._writer = None
        self._sink = None
        # A deque, not a queue.Queue: append/popleft are atomic and lock-free under the GIL, and the loop's
        # thread should not pay a Condition per batch. The bound is kept by offer() waiting on _space.
        self._q = collections.deque()
        self._wake = threading.Event()  # set: the writer should take what is queued now
        self._space = threading.Event()  # set by the writer after taking: a full queue has room
        self._done = threading.Event()
        self._last_progress = 0.0
        self.writer_cpu_s = 0.0  # CPU time of the writer thread so far (benchmarks read it)
        folder = os.path.dirname(self.path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        self._sink = pa.OSFile(self.path, "wb")  # opened here: a bad path fails the start, not the run
        self._thread = threading.Thread(target=self._run, name="batchscope-recorder", daemon=True)
        self._thread.start()

    # ---- main thread
    def offer(self, batch, meta):
        """One yielded batch; meta = (batch index, epoch, worker, loader, raw indices)."""
        if not self.accepting or os.getpid() != self.pid:
            return
        if self.opts.loader is not None and meta[3] != self.opts.loader:
            return
        self.offered += 1
        if self.offered >= self.opts.batches:
            self.accepting = False  # the last one: later batches are not even copied
            self._count_reached = True
        q = self._q
        q.append((columns.snapshot(batch), meta))
        n = len(q)
        if n >= WAKE_AT or self._count_reached:
            self._wake.set()
            if n >= QUEUE_MAX:
                self._wait_for_space()

    def _wait_for_space(self):
        """The writer is QUEUE_MAX batches behind (a slow disk): the loop waits rather than the recording losing batches."""
        while len(self._q) >= QUEUE_MAX and not self._done.is_set():
            self._space.clear()
            self._wake.set()
            self._space.wait(0.05)

    def stop(self, reason="stopped", wait=5.0):
        """Stop accepting batches, write what is queued, close the file. Idempotent."""
        self.accepting = False
        if self.reason is None:
            # The count was reached and the writer is finishing: a stop now (the program exits) is not why it ended.
            self.reason = "batches" if self._count_reached else reason
        self._q.append(None)
        self._wake.set()
        # Wait for the thread itself, not only `_done`: the writer is a daemon thread, and one still running
        # when the interpreter finalises (dropping its last tensors and Arrow buffers, or inside a torch or
        # pyarrow call that released the GIL) is ended by pthread_exit through C++ frames: std::terminate,
        # SIGABRT at exit ("terminate called without an active exception").
        if self._thread is not threading.current_thread():
            self._thread.join(wait)

    def internal_error(self, e):
        """A batch that could not be snapshotted: reported once, the loop goes on."""
        if not getattr(self, "_warned", False):
            self._warned = True
            print("batchscope: a batch was not recorded: %s: %s" % (type(e).__name__, e), file=sys.stderr)

    def wait(self, timeout=None):
        """Wait for the recording to end (its bound reached, or stop()). True when it has."""
        return self._done.wait(timeout)

    @property
    def done(self):
        return self._done.is_set()

    @property
    def writer_alive(self):
        """The writer thread is still running (it ends a moment after `done`, once its frame is unwound)."""
        return self._thread.is_alive()

    # ---- writer thread
    def _run(self):
        cpu0 = time.thread_time()
        try:
            ending = False
            while not ending:
                # Sleep until WAKE_AT batches queued up (or the bound, or stop()), at most FLUSH_EVERY_S:
                # the loop's put() then wakes nobody, and one conversion + one write serve many batches.
                self._wake.wait(FLUSH_EVERY_S)
                self._wake.clear()
                items, ending = self._take()
                if items and not self._write_all(items):
                    self.accepting = False
                    self._drain()
                    break
                self._progress(False)
                if self.batches >= self.opts.batches:
                    self.reason = self.reason or "batches"
                    break
        except Exception as e:  # the run goes on without its recording; the error is reported
            self.error = "%s: %s" % (type(e).__name__, e)
            self.reason = "error"
            self.accepting = False
            self._drain()
        finally:
            self.writer_cpu_s = time.thread_time() - cpu0
            self._close()

    def _take(self):
        """What is queued now (at most TAKE_MAX), and whether stop() is among it."""
        items, ending, q = [], False, self._q
        while len(items) < TAKE_MAX:
            try:
                nxt = q.popleft()
            except IndexError:
                break
            if nxt is None:
                ending = True
                break
            items.append(nxt)
        self._space.set()
        return items, ending

    def _write_all(self, items):
        """The first batch of the file alone (it fixes the schema), the rest in groups of GROUP_MAX."""
        if self._schema is None:
            if not self._write(items[0]):
                return False
            items = items[1:]
        for i in range(0, len(items), GROUP_MAX):
            if not self._write_group(items[i : i + GROUP_MAX]):
                return False
        return True

    def _drain(self):
        self._q.clear()
        self._space.set()

    def _write_group(self, group):
        """Write the queued batches: as one record batch when they share a layout and fit under the
        cap, else one by one (each checked against the cap). False once the recording must end."""
        rb = columns.group_record_batch(self.pa, group) if len(group) > 1 and self._schema is not None else None
        if rb is not None:
            rb = self._conform(rb)
            size = self.pa.ipc.get_record_batch_size(rb) + 16
            if self.bytes + size <= self.opts.max_bytes:
                self._writer.write_batch(rb)
                self._sink.flush()
                self.batches += len(group)
                self.rows += rb.num_rows
                self.bytes = self._sink.tell()
                return True
        for item in group:
            if not self._write(item):
                return False
        return True

    def _write(self, item):
        pa = self.pa
        rb, skipped = columns.to_record_batch(pa, item)
        self.skipped.update(skipped)
        if self._schema is None:
            meta = {"batchscope.record": json.dumps({"version": 1, "skipped": sorted(self.skipped)})}
            self._schema = rb.schema.with_metadata(meta)
        else:
            rb = self._conform(rb)
            if rb is None:
                return True
        # What this batch adds to the file: its message (+ the 8-byte continuation marker), the schema
        # before the first one, and the 8-byte end-of-stream marker written at close.
        size = pa.ipc.get_record_batch_size(rb) + 16
        if self._writer is None:
            size += self._schema.serialize().size + 8
        if self.bytes + size > self.opts.max_bytes:
            self.reason = "size"
            if not self.batches:
                self.error = "one batch takes %.2f MB, more than the size cap (%.2f MB)" % (
                    size / 1048576.0,
                    self.opts.max_bytes / 1048576.0,
                )
            return False
        if self._writer is None:
            self._writer = pa.ipc.new_stream(self._sink, self._schema)
        self._writer.write_batch(rb)
        self._sink.flush()
        self.batches += 1
        self.rows += rb.num_rows
        self.bytes = self._sink.tell()
        return True

    def _conform(self, rb):
        """A later batch in the first batch's schema: missing columns null, new ones dropped (and named)."""
        pa = self.pa
        if rb.schema.equals(self._schema, check_metadata=False):
            return rb
        names = set(rb.schema.names)
        self.dropped_columns.update(n for n in names if self._schema.get_field_index(n) < 0)
        arrays = []
        for field in self._schema:
            if field.name in names:
                col = rb.column(field.name)
                if col.type != field.type:
                    try:
                        col = col.cast(field.type)
                    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                        self.dropped_columns.add(field.name)
                        col = pa.nulls(rb.num_rows, field.type)
                arrays.append(col)
            else:
                arrays.append(pa.nulls(rb.num_rows, field.type))
        return pa.RecordBatch.from_arrays(arrays, schema=self._schema)

    def _close(self):
        try:
            if self._writer is not None:
                self._writer.close()
                self.bytes = self._sink.tell()
        except Exception as e:
            self.error = self.error or "%s: %s" % (type(e).__name__, e)
        finally:
            try:
                self._sink.close()
            except Exception:
                pass
            self.accepting = False
            self.reason = self.reason or "stopped"
            self._done.set()
            self._progress(True)

    def progress(self, done=None):
        p = {
            "path": self.path,
            "batches": self.batches,
            "rows": self.rows,
            "bytes": self.bytes,
            "limit_batches": self.opts.batches,
            "limit_bytes": self.opts.max_bytes,
            "done": self.done if done is None else done,
            "reason": self.reason if (self.done if done is None else done) else None,
        }
        if self.error:
            p["error"] = self.error
        if self.dropped_columns:
            p["dropped_columns"] = sorted(self.dropped_columns)
        if self.skipped:
            p["skipped_fields"] = sorted(self.skipped)
        return p

    def _progress(self, done):
        now = time.monotonic()
        if not done and now - self._last_progress < PROGRESS_EVERY_S:
            return
        self._last_progress = now
        p = self.progress(done)
        for sink in list(self.sinks):
            try:
                sink(p)
            except Exception as e:  # a sink must never stop the recording
                print("batchscope: recording progress not reported: %s: %s" % (type(e).__name__, e), file=sys.stderr)


def describe(p):
    """One line for an output channel: 'recorded 20 batches (160 rows, 1.2 MB) to PATH (batch limit)'."""
    why = {"batches": "batch limit reached", "size": "size cap reached", "stopped": "stopped", "error": "failed"}
    mb = p["bytes"] / (1024 * 1024)
    text = "%s %d batch%s (%d rows, %.2f MB) to %s" % (
        "recorded" if p["done"] else "recording:",
        p["batches"],
        "" if p["batches"] == 1 else "es",
        p["rows"],
        mb,
        p["path"],
    )
    if p["done"]:
        text += " (%s)" % why.get(p.get("reason"), p.get("reason"))
    if p.get("error"):
        text += ": " + p["error"]
    if p.get("dropped_columns"):
        text += "; columns not in the first batch were left out: " + ", ".join(p["dropped_columns"])
    return text
