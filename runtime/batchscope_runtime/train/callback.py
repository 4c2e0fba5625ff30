"""Our events from inside any transformers.Trainer (ours, LLaMA-Factory's, TRL's, a user's script).

`EventsCallback` is a TrainerCallback: `on_train_begin` -> started, `on_log` -> step (loss and the
lr the Trainer applied at that step, as it logs them), `on_evaluate` -> eval, `on_save` -> checkpoint,
`on_train_end` -> finished. `attach(trainer)` also times `get_batch_samples` (the DataLoader wait of
each optimizer step) and counts non-padding tokens, without reading GPU values between logs.
Only the process with `state.is_world_process_zero` writes.
"""

import os
import platform
import time

from transformers import TrainerCallback

from .. import __version__
from .events import llamafactory_log


def _versions():
    import torch
    import transformers

    return {
        "python": platform.python_version(),
        "torch": torch.__version__.split("+")[0],
        "transformers": transformers.__version__,
        "runtime": __version__,
    }


class EventsCallback(TrainerCallback):
    def __init__(self, events, engine, reason, stop=None, write_log=True, config_path="", extra=None):
        self.events = events
        self.engine = engine
        self.reason = reason
        self.stop = stop
        self.write_log = write_log
        self.config_path = str(config_path)
        self.extra = extra or {}
        self.trainer = None
        self.last_checkpoint = None
        self.stopped = False
        self._reset_window(time.perf_counter())

    # ── wiring ────────────────────────────────────────────────────────────────
    def attach(self, trainer):
        """Times the DataLoader wait per optimizer step and counts tokens (instance-level wrap)."""
        if getattr(trainer, "_batchscope_attached", False):
            return
        trainer._batchscope_attached = True
        self.trainer = trainer
        original = trainer.get_batch_samples

        def timed(epoch_iterator, num_batches, *args, **kwargs):
            t = time.perf_counter()
            batches, num_items = original(epoch_iterator, num_batches, *args, **kwargs)
            self.data_wait += time.perf_counter() - t
            for b in batches:
                mask = b.get("attention_mask") if hasattr(b, "get") else None
                ids = b.get("input_ids") if hasattr(b, "get") else None
                if mask is not None:
                    self.token_sums.append(mask.sum())
                elif ids is not None:
                    self.tokens_plain += int(ids.numel())
                if ids is not None:
                    self.samples += int(ids.shape[0])
            return batches, num_items

        trainer.get_batch_samples = timed

    def _reset_window(self, now):
        self.window_start = now
        self.window_step = None
        self.data_wait = 0.0
        self.token_sums = []
        self.tokens_plain = 0
        self.samples = 0

    # ── events ────────────────────────────────────────────────────────────────
    def on_train_begin(self, args, state, control, model=None, train_dataloader=None, **kw):
        self.t0 = time.time()
        self.start_step = state.global_step
        self._reset_window(time.perf_counter())
        self.window_step = state.global_step
        if not state.is_world_process_zero:
            return
        trainer = self.trainer
        n_train = (
            _len(getattr(trainer, "train_dataset", None))
            if trainer
            else _len(getattr(train_dataloader, "dataset", None))
        )
        n_eval = _len(getattr(trainer, "eval_dataset", None)) if trainer else 0
        batches = _len(train_dataloader) or 1
        steps_per_epoch = max(-(-batches // max(args.gradient_accumulation_steps, 1)), 1)
        device = args.device
        name = None
        if device.type == "cuda":
            import torch

            name = torch.cuda.get_device_name(device)
        precision = "bf16" if args.bf16 else "fp16" if args.fp16 else "fp32"
        resumed = getattr(trainer, "_batchscope_resumed_from", None) if trainer else None
        model_name = getattr(getattr(model, "config", None), "_name_or_path", "") or ""
        if self.write_log and args.output_dir:
            os.makedirs(args.output_dir, exist_ok=True)
            self.events.open_log(
                os.path.join(args.output_dir, "trainer_log.jsonl"),
                keep_until_step=state.global_step if state.global_step else None,
            )
        self.events.emit(
            "started",
            v=1,
            pid=os.getpid(),
            config=self.config_path,
            output_dir=str(args.output_dir),
            model=str(model_name),
            device=str(device),
            device_name=name,
            precision=precision,
            world_size=int(args.world_size),
            total_steps=int(state.max_steps),
            start_step=int(state.global_step),
            steps_per_epoch=int(steps_per_epoch),
            num_epochs=float(args.num_train_epochs),
            num_train_samples=int(n_train),
            num_eval_samples=int(n_eval),
            batch_size=int(args.per_device_train_batch_size),
            gradient_accumulation_steps=int(args.gradient_accumulation_steps),
            resumed_from=str(resumed) if resumed else None,
            versions=_versions(),
            engine=self.engine,
            engine_reason=self.reason,
            **self.extra,
        )

    def on_step_end(self, args, state, control, **kw):
        if self.stop is not None and self.stop.requested():
            self.stopped = True
            control.should_training_stop = True
            if args.save_strategy != "no":
                control.should_save = True
        return control

    def on_log(self, args, state, control, logs=None, **kw):
        logs = logs or {}
        if "loss" not in logs or not state.is_world_process_zero:
            return
        import torch

        now = time.perf_counter()
        steps = max(state.global_step - (self.window_step or 0), 1)
        span = max(now - self.window_start, 1e-9)
        tokens = self.tokens_plain + (int(torch.stack(self.token_sums).sum().item()) if self.token_sums else 0)
        world = max(int(args.world_size), 1)
        elapsed = time.time() - self.t0
        done = state.global_step - self.start_step
        eta = elapsed / done * (state.max_steps - state.global_step) if done > 0 else None
        cuda = torch.cuda.is_available() and args.device.type == "cuda"
        fields = dict(
            step=int(state.global_step),
            total_steps=int(state.max_steps),
            epoch=float(state.epoch or 0.0),
            loss=float(logs["loss"]),
            lr=float(logs.get("learning_rate", 0.0) or 0.0),
            grad_norm=float(logs["grad_norm"]) if logs.get("grad_norm") is not None else None,
            tokens_per_s=tokens * world / span,
            samples_per_s=self.samples * world / span,
            data_wait_ms=self.data_wait / steps * 1000.0,
            step_ms=span / steps * 1000.0,
            elapsed_s=elapsed,
            eta_s=eta,
            gpu_mem_allocated=int(torch.cuda.max_memory_allocated()) if cuda else None,
            gpu_mem_reserved=int(torch.cuda.memory_reserved()) if cuda else None,
        )
        if cuda:
            torch.cuda.reset_peak_memory_stats()
        self.events.emit("step", **fields)
        if self.write_log:
            self.events.log_line(
                llamafactory_log(
                    state.global_step,
                    state.max_steps,
                    fields["epoch"],
                    elapsed,
                    eta,
                    loss=fields["loss"],
                    lr=fields["lr"],
                    grad_norm=fields["grad_norm"],
                )
            )
        self._reset_window(time.perf_counter())
        self.window_step = state.global_step

    def on_evaluate(self, args, state, control, metrics=None, **kw):
        if not state.is_world_process_zero:
            return
        metrics = metrics or {}
        n_eval = _len(getattr(self.trainer, "eval_dataset", None)) if self.trainer else 0
        loss = metrics.get("eval_loss")
        self.events.emit(
            "eval",
            step=int(state.global_step),
            epoch=float(state.epoch or 0.0),
            eval_loss=float(loss) if loss is not None else None,
            eval_samples=int(n_eval),
        )
        if self.write_log:
            self.events.log_line(
                llamafactory_log(
                    state.global_step,
                    state.max_steps,
                    float(state.epoch or 0.0),
                    time.time() - self.t0,
                    None,
                    eval_loss=loss,
                )
            )

    def on_save(self, args, state, control, **kw):
        if not state.is_world_process_zero:
            return
        delay = float(os.environ.get("BATCHSCOPE_TEST_SAVE_DELAY", "0") or 0)
        if delay:  # tests: keep a save "in progress" long enough to kill it
            time.sleep(delay)
        path = os.path.join(args.output_dir, "checkpoint-%d" % state.global_step)
        self.last_checkpoint = path
        reason = "stop" if self.stopped else "final" if state.global_step >= state.max_steps else "save_steps"
        self.events.emit("checkpoint", step=int(state.global_step), path=path, reason=reason)

    def on_train_end(self, args, state, control, **kw):
        if not state.is_world_process_zero:
            return
        self.events.emit(
            "finished",
            step=int(state.global_step),
            total_steps=int(state.max_steps),
            reason="stopped" if self.stopped else "completed",
            elapsed_s=time.time() - self.t0,
            output_dir=str(args.output_dir),
            last_checkpoint=self.last_checkpoint,
        )
        self.events.close()


def _len(x):
    try:
        return len(x) if x is not None else 0
    except TypeError:  # an IterableDataset
        return 0
