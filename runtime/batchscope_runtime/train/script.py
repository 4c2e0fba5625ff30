"""The `script` engine: `python -m batchscope_runtime train script.py [args...]` (or `-m module`).

The script runs unchanged as __main__. Every transformers.Trainer it builds (TRL's trainers and
accelerate-based subclasses included) gets our EventsCallback (inject.py). A hand-written loop is
seen through the DataLoader: each batch's wait is timed, and `batchscope_runtime.log(step=..., loss=...)`
turns into a step event; without log() calls, every batch is one step (loss unknown).
"""

import os
import platform
import runpy
import sys
import time

from .. import __version__


class LoopReporter:
    """Step events for code that trains without a Trainer."""

    def __init__(self, events, script, reason, world_size):
        self.events = events
        self.script = script
        self.reason = reason
        self.world_size = world_size
        self.trainer_seen = False
        self.logged = False
        self.started = False
        self.batches = 0
        self.wait = 0.0
        self.window_start = time.perf_counter()
        self.window_batches = 0
        self.last_step = 0
        self.t0 = time.time()

    def _start(self):
        if self.started or self.trainer_seen:
            return
        self.started = True
        import torch

        device = "cuda" if torch.cuda.is_available() else "cpu"
        self.events.emit(
            "started",
            v=1,
            pid=os.getpid(),
            config=str(self.script),
            output_dir="",
            model="",
            device=device,
            device_name=None,
            precision="fp32",
            world_size=self.world_size,
            total_steps=0,
            start_step=0,
            steps_per_epoch=1,
            num_epochs=0,
            num_train_samples=0,
            num_eval_samples=0,
            resumed_from=None,
            versions={
                "python": platform.python_version(),
                "torch": torch.__version__.split("+")[0],
                "transformers": _transformers_version(),
                "runtime": __version__,
            },
            engine="script",
            engine_reason=self.reason,
        )

    def on_batch(self, wait_s):
        """Without log() calls, each batch is one step: emitted when the next batch is asked for (by
        then the loop has had its chance to log it), or at the end."""
        if self.trainer_seen:
            return
        if self.batches and not self.logged:
            self.emit_step(self.batches, None, {})
        self.batches += 1
        self.window_batches += 1
        self.wait += wait_s

    def log(self, step=None, loss=None, **fields):
        if self.trainer_seen:
            return
        self.logged = True
        self.emit_step(int(step) if step is not None else self.last_step + 1, loss, fields)

    def emit_step(self, step, loss, fields):
        self._start()
        now = time.perf_counter()
        span = max(now - self.window_start, 1e-9)
        steps = max(step - self.last_step, 1)
        self.events.emit(
            "step",
            step=max(int(step), 1),
            total_steps=int(fields.get("total_steps", 0)),
            epoch=float(fields.get("epoch", 0.0)),
            loss=float(loss) if loss is not None else None,
            lr=float(fields.get("lr", 0.0)),
            grad_norm=float(fields["grad_norm"]) if fields.get("grad_norm") is not None else None,
            tokens_per_s=float(fields.get("tokens", 0)) / span,
            samples_per_s=0.0,
            data_wait_ms=self.wait / steps * 1000.0,
            step_ms=span / steps * 1000.0,
            elapsed_s=time.time() - self.t0,
            eta_s=None,
            gpu_mem_allocated=None,
            gpu_mem_reserved=None,
        )
        self.last_step = step
        self.wait = 0.0
        self.window_start = now
        self.window_batches = 0

    def finish(self):
        if self.batches and not self.logged and not self.trainer_seen and self.last_step < self.batches:
            self.emit_step(self.batches, None, {})
        if self.started and not self.trainer_seen:
            self.events.emit(
                "finished",
                step=max(self.last_step, 0),
                total_steps=0,
                reason="completed",
                elapsed_s=time.time() - self.t0,
                output_dir="",
                last_checkpoint=None,
            )


def _transformers_version():
    try:
        from importlib.metadata import version

        return version("transformers")
    except Exception:  # noqa: BLE001 - transformers is optional for a plain loop
        return ""


def _time_dataloader(reporter):
    """Times every DataLoader batch (the wait a training loop sees) for the loop reporter."""
    from torch.utils.data import dataloader

    base = dataloader._BaseDataLoaderIter
    original = base.__next__

    def __next__(self):
        t = time.perf_counter()
        item = original(self)
        reporter.on_batch(time.perf_counter() - t)
        return item

    base.__next__ = __next__


_reporter = None


def log(**fields):
    """batchscope_runtime.log(step=..., loss=..., lr=...): a step event from a hand-written loop."""
    if _reporter is not None:
        _reporter.log(**fields)


def run(target, argv, events, stop, reason, as_module=False, world_size=1):
    global _reporter
    _reporter = reporter = LoopReporter(events, target, reason, world_size)
    try:
        import transformers  # noqa: F401
    except ImportError:
        transformers = None
    if transformers is not None:
        from .callback import EventsCallback
        from .inject import patch_trainer_init

        class ScriptCallback(EventsCallback):
            def attach(self, trainer):
                reporter.trainer_seen = True
                super().attach(trainer)

        patch_trainer_init(ScriptCallback(events, "script", reason, stop=stop, config_path=target))
    _time_dataloader(reporter)
    sys.argv = [target] + list(argv)
    try:
        if as_module:
            runpy.run_module(target, run_name="__main__", alter_sys=True)
        else:
            sys.path.insert(0, os.path.dirname(os.path.abspath(target)))
            runpy.run_path(target, run_name="__main__")
    except SystemExit as e:
        if e.code not in (None, 0):
            raise
    reporter.finish()
    return 0
