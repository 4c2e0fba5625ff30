"""The training loop: data -> DataLoader -> AdamW + scheduler, with events, logs, checkpoints,
stop requests and the debug stage hooks around the to-device copy and the optimizer step."""
import math
import os
import platform
import random
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader

from .. import __version__
from ..debug import hooks
from . import checkpoint as ckpt
from .collate import EncodedDataset, PadCollate
from .data import load_conversations
from .encode import encode_all
from .errors import ConfigError, DataError
from .events import llamafactory_log
from .model import autocast, choose_precision, grad_scaler, load_model, load_tokenizer
from .sampler import ResumableSampler


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed % (2 ** 32))
    torch.manual_seed(seed)


def _split(encoded, val_size, seed):
    if not val_size:
        return encoded, []
    n_val = int(val_size) if val_size >= 1 else max(int(round(len(encoded) * val_size)), 1)
    if n_val >= len(encoded):
        raise ValueError("val_size leaves no training samples")
    order = list(range(len(encoded)))
    random.Random(seed).shuffle(order)
    val = set(order[:n_val])
    return [e for i, e in enumerate(encoded) if i not in val], [encoded[i] for i in sorted(val)]


def _resolve_resume(cfg):
    r = cfg.resume_from_checkpoint
    if r is None or r is False:
        return None
    if r is True:
        latest = ckpt.latest_checkpoint(cfg.output_dir)
        if latest is None:
            raise cfg.error("resume_from_checkpoint", "is true but %s has no complete checkpoint-<step> folder" % cfg.output_dir)
        return latest
    if not Path(r).is_dir() or not (Path(r) / ckpt.STATE_FILE).exists():
        raise cfg.error("resume_from_checkpoint", "'%s' is not a complete checkpoint folder" % r)
    return Path(r)


class Trainer:
    def __init__(self, cfg, events, stop, ctx):
        self.cfg = cfg
        self.events = events
        self.stop = stop
        self.ctx = ctx
        self.device = ctx.device

    # ── set-up ──────────────────────────────────────────────────────────────────
    def prepare(self):
        cfg = self.cfg
        seed_everything(cfg.seed)
        resume_dir = _resolve_resume(cfg)
        self.tokenizer = load_tokenizer(cfg.model_name_or_path, cfg.trust_remote_code)
        if self.tokenizer.pad_token_id is None:
            if self.tokenizer.eos_token_id is None:
                raise cfg.error("model_name_or_path", "the tokenizer has neither a pad nor an eos token")
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self._apply_template_key()
        samples = load_conversations(cfg.dataset, cfg.dataset_dir, cfg.max_samples)
        try:
            encoded, dropped = encode_all(samples, self.tokenizer, cfg.model_name_or_path, cfg.cutoff_len,
                                          cfg.preprocessing_num_workers)
        except ValueError as e:  # the template cannot render/mask
            raise DataError(str(e), file=samples[0]["file"], line=samples[0]["line"], col=1) from None
        if dropped and self.ctx.is_main:
            self.events.warning("%d of %d samples have no assistant tokens within cutoff_len=%d and were dropped"
                                % (dropped, len(samples), cfg.cutoff_len), "dropped_samples", cfg.location("cutoff_len"))
        if not encoded:
            raise cfg.error("cutoff_len", "no sample has an assistant token within the first %d tokens" % cfg.cutoff_len)
        try:
            train, val = _split(encoded, cfg.val_size, cfg.seed)
        except ValueError as e:
            raise cfg.error("val_size", str(e)) from None
        self.train_ds, self.val_ds = EncodedDataset(train), EncodedDataset(val)

        self.precision, self.amp_dtype, warn = choose_precision(cfg, self.device)
        if warn and self.ctx.is_main:
            self.events.warning(warn, "ignored_value", cfg.location("bf16" if cfg.bf16 else "fp16"))
        self.model = load_model(resume_dir or cfg.model_name_or_path, cfg.trust_remote_code)
        vocab = self.model.get_input_embeddings().weight.shape[0]
        if len(self.tokenizer) > vocab:
            raise cfg.error("model_name_or_path", "the tokenizer has %d tokens but the model's embedding only %d"
                            % (len(self.tokenizer), vocab))
        if cfg.gradient_checkpointing:
            self.model.gradient_checkpointing_enable()
        self.model.to(self.device)
        self.model.train()
        self.ddp_model = self.model
        if self.ctx.distributed:
            from torch.nn.parallel import DistributedDataParallel

            ids = [self.device.index] if self.device.type == "cuda" else None
            self.ddp_model = DistributedDataParallel(self.model, device_ids=ids)

        self.sampler = ResumableSampler(self.train_ds, self.ctx.world_size, self.ctx.rank, cfg.seed)
        pin = cfg.dataloader_pin_memory and self.device.type == "cuda"
        self.loader = DataLoader(self.train_ds, batch_size=cfg.per_device_train_batch_size, sampler=self.sampler,
                                 collate_fn=PadCollate(self.tokenizer.pad_token_id),
                                 num_workers=cfg.dataloader_num_workers, pin_memory=pin)
        self.batches_per_epoch = math.ceil(self.sampler.num_samples / cfg.per_device_train_batch_size)
        ga = cfg.gradient_accumulation_steps
        self.steps_per_epoch = max(self.batches_per_epoch // ga, 1)
        if cfg.max_steps > 0:
            self.total_steps = cfg.max_steps
        else:
            self.total_steps = max(int(math.ceil(cfg.num_train_epochs * self.steps_per_epoch)), 1)

        decay, no_decay = [], []
        for name, p in self.model.named_parameters():
            if p.requires_grad:
                (no_decay if (p.ndim < 2 or "norm" in name.lower() or name.endswith(".bias")) else decay).append(p)
        groups = [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
        self.optimizer = torch.optim.AdamW(groups, lr=cfg.learning_rate)
        from transformers import get_scheduler

        warmup = cfg.warmup_steps or int(math.ceil(cfg.warmup_ratio * self.total_steps))
        self.scheduler = get_scheduler(cfg.lr_scheduler_type, self.optimizer, num_warmup_steps=warmup,
                                       num_training_steps=self.total_steps)
        self.scaler = grad_scaler(self.precision == "fp16")
        self.global_step = 0
        self.resumed_from = None
        if resume_dir is not None:
            self._restore(resume_dir)
        if self.ctx.is_main:
            ckpt.remove_stale_temporaries(cfg.output_dir)
            Path(cfg.output_dir).mkdir(parents=True, exist_ok=True)
            self.events.open_log(str(Path(cfg.output_dir) / "trainer_log.jsonl"),
                                 keep_until_step=self.global_step if resume_dir else None)

    def _apply_template_key(self):
        """`template`: a .jinja file replaces the tokenizer's chat template. A LLaMA-Factory template
        name is not used (the tokenizer's own template renders the data), and the user is told so."""
        t = self.cfg.template
        if not t:
            return
        p = Path(t) if Path(t).is_absolute() else Path(self.cfg.path).parent / t
        if t.endswith((".jinja", ".j2")):
            if not p.is_file():
                raise self.cfg.error("template", "'%s' is not a file" % p)
            self.tokenizer.chat_template = p.read_text(encoding="utf-8")
        elif self.ctx.is_main:
            self.events.warning("template '%s': Batchscope renders with the tokenizer's own chat_template "
                                "(LLaMA-Factory's built-in templates are not used); give a .jinja file to "
                                "override it" % t, "ignored_value", self.cfg.location("template"))

    def _restore(self, path):
        state = ckpt.load_trainer_state(path)
        self.optimizer.load_state_dict(ckpt.torch_load(path / "optimizer.pt"))
        self.scheduler.load_state_dict(ckpt.torch_load(path / "scheduler.pt"))
        rng = ckpt.torch_load(path / "rng_state.pth")
        if self.ctx.rank == 0:
            ckpt.set_rng_state(rng)
        else:  # only rank 0 writes checkpoints: other ranks reseed deterministically
            seed_everything(self.cfg.seed + 1000003 * self.ctx.rank + state["global_step"])
        self.global_step = int(state["global_step"])
        same = (state.get("world_size"), state.get("batch_size"), state.get("gradient_accumulation_steps")) == \
               (self.ctx.world_size, self.cfg.per_device_train_batch_size, self.cfg.gradient_accumulation_steps)
        if not same and self.ctx.is_main:
            self.events.warning("the checkpoint was written with a different world size / batch size / gradient "
                                "accumulation: the data order cannot be restored exactly", "resume_mismatch",
                                self.cfg.location("resume_from_checkpoint"))
        self.resumed_from = str(path)

    def _trainer_state(self, epoch):
        return {"global_step": self.global_step, "epoch": epoch, "total_steps": self.total_steps,
                "steps_per_epoch": self.steps_per_epoch, "world_size": self.ctx.world_size,
                "batch_size": self.cfg.per_device_train_batch_size,
                "gradient_accumulation_steps": self.cfg.gradient_accumulation_steps, "seed": self.cfg.seed,
                "runtime_version": __version__}

    # ── the loop ────────────────────────────────────────────────────────────────
    def run(self):
        cfg, ctx, events = self.cfg, self.ctx, self.events
        cuda = self.device.type == "cuda"
        if ctx.is_main:
            import transformers

            events.emit("started", v=1, pid=os.getpid(), config=str(cfg.path), output_dir=str(cfg.output_dir),
                        model=str(cfg.model_name_or_path), device=str(self.device),
                        device_name=torch.cuda.get_device_name(self.device) if cuda else None,
                        precision=self.precision, world_size=ctx.world_size, total_steps=self.total_steps,
                        start_step=self.global_step, steps_per_epoch=self.steps_per_epoch,
                        num_epochs=float(self.total_steps) / self.steps_per_epoch,
                        num_train_samples=len(self.train_ds), num_eval_samples=len(self.val_ds),
                        batch_size=cfg.per_device_train_batch_size,
                        gradient_accumulation_steps=cfg.gradient_accumulation_steps,
                        resumed_from=self.resumed_from,
                        versions={"python": platform.python_version(), "torch": torch.__version__,
                                  "transformers": transformers.__version__, "runtime": __version__})
        ga = cfg.gradient_accumulation_steps
        micro_limit = min(self.steps_per_epoch * ga, self.batches_per_epoch)
        session_start = time.perf_counter()
        session_start_step = self.global_step
        window = _Window(self.device)
        last_saved = None
        stopped = False
        while self.global_step < self.total_steps and not stopped:
            epoch = self.global_step // self.steps_per_epoch
            micro = (self.global_step - epoch * self.steps_per_epoch) * ga
            self.sampler.set_epoch(epoch, skip=micro * cfg.per_device_train_batch_size)
            batches = iter(self.loader)
            while self.global_step < self.total_steps and micro < micro_limit:
                step_loss = None
                for k in range(ga):
                    t0 = time.perf_counter()
                    try:
                        batch = next(batches)
                    except StopIteration:
                        break
                    window.data_wait += time.perf_counter() - t0
                    window.tokens += int(batch["attention_mask"].sum())
                    window.samples += batch["input_ids"].shape[0]
                    with hooks.stage("to_device", batch=batch, batch_index=micro):
                        batch = {key: v.to(self.device, non_blocking=True) for key, v in batch.items()}
                    sync_now = k == ga - 1 or micro + 1 >= micro_limit
                    with self._no_sync(not sync_now), autocast(self.device, self.amp_dtype):
                        loss = self.ddp_model(**batch).loss / ga
                    self.scaler.scale(loss).backward()
                    step_loss = loss.detach().float() if step_loss is None else step_loss + loss.detach().float()
                    micro += 1
                    if micro >= micro_limit:
                        break
                if step_loss is None:
                    break
                with hooks.stage("train_step", batch_index=micro - 1, loss=step_loss):
                    self.scaler.unscale_(self.optimizer)
                    norm = torch.nn.utils.clip_grad_norm_(self.model.parameters(),
                                                          cfg.max_grad_norm if cfg.max_grad_norm > 0 else float("inf"))
                    self.scaler.step(self.optimizer)
                    self.scaler.update()
                    self.scheduler.step()
                    self.optimizer.zero_grad(set_to_none=True)
                self.global_step += 1
                window.add(step_loss, norm)
                epoch_f = self.global_step / self.steps_per_epoch
                if self.global_step % cfg.logging_steps == 0 or self.global_step == self.total_steps:
                    self._log(window, epoch_f, session_start, session_start_step)
                    window = _Window(self.device)
                stopped = self._stop_requested()
                if cfg.save_steps and self.global_step % cfg.save_steps == 0:
                    self._save("save_steps", epoch_f)
                    last_saved = self.global_step
                if self.val_ds and cfg.eval_steps and self.global_step % cfg.eval_steps == 0:
                    self.evaluate(epoch_f)
                if stopped:
                    break
        epoch_f = self.global_step / self.steps_per_epoch
        if not stopped and self.val_ds and not (cfg.eval_steps and self.global_step % cfg.eval_steps == 0):
            self.evaluate(epoch_f)
        reason_ckpt = "stop" if stopped else "final"
        path = None
        if last_saved != self.global_step:
            path = self._save(reason_ckpt, epoch_f)
        elif ctx.is_main:
            path = str(Path(cfg.output_dir) / ("checkpoint-%d" % self.global_step))
        if not stopped and ctx.is_main:  # the final model beside the checkpoints, as LLaMA-Factory leaves it
            self.model.save_pretrained(str(cfg.output_dir), **ckpt.save_pretrained_kwargs(self.model))
            self.tokenizer.save_pretrained(str(cfg.output_dir))
        ctx.barrier()
        if ctx.is_main:
            events.emit("finished", step=self.global_step, total_steps=self.total_steps,
                        reason="stopped" if stopped else "completed",
                        elapsed_s=time.perf_counter() - session_start, output_dir=str(cfg.output_dir),
                        last_checkpoint=path)
        return 0

    def _no_sync(self, skip_sync):
        import contextlib

        if skip_sync and self.ctx.distributed:
            return self.ddp_model.no_sync()
        return contextlib.nullcontext()

    def _stop_requested(self):
        local = 1.0 if self.stop.requested() else 0.0
        if self.ctx.distributed:
            return self.ctx.all_reduce_sum([local])[0] > 0
        return local > 0

    def _log(self, window, epoch_f, session_start, session_start_step):
        ctx, cfg = self.ctx, self.cfg
        n = max(window.steps, 1)
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        elapsed = time.perf_counter() - window.start
        loss_sum = float(window.loss_sum) if window.loss_sum is not None else float("nan")
        tokens, samples, loss_sum = ctx.all_reduce_sum([window.tokens, window.samples, loss_sum])
        loss = loss_sum / n / ctx.world_size
        grad_norm = float(window.norm_sum) / n if window.norm_sum is not None else None
        if not ctx.is_main:
            return
        done = self.global_step - session_start_step
        session_elapsed = time.perf_counter() - session_start
        eta = (self.total_steps - self.global_step) * session_elapsed / done if done else None
        mem_alloc = mem_res = None
        if self.device.type == "cuda":
            mem_alloc = int(torch.cuda.max_memory_allocated(self.device))
            mem_res = int(torch.cuda.memory_reserved(self.device))
            torch.cuda.reset_peak_memory_stats(self.device)
        lr = float(self.scheduler.get_last_lr()[0])
        fields = dict(step=self.global_step, total_steps=self.total_steps, epoch=epoch_f,
                      loss=loss if math.isfinite(loss) else None, lr=lr,
                      grad_norm=grad_norm if grad_norm is not None and math.isfinite(grad_norm) else None,
                      tokens_per_s=tokens / elapsed if elapsed > 0 else 0.0,
                      samples_per_s=samples / elapsed if elapsed > 0 else 0.0,
                      data_wait_ms=window.data_wait * 1000.0 / n, step_ms=elapsed * 1000.0 / n,
                      elapsed_s=session_elapsed, eta_s=eta, gpu_mem_allocated=mem_alloc, gpu_mem_reserved=mem_res)
        self.events.emit("step", **fields)
        self.events.log_line(llamafactory_log(self.global_step, self.total_steps, epoch_f, session_elapsed, eta,
                                              loss=fields["loss"], lr=lr, grad_norm=fields["grad_norm"],
                                              tokens_per_s=fields["tokens_per_s"],
                                              samples_per_s=fields["samples_per_s"],
                                              data_wait_ms=fields["data_wait_ms"], step_ms=fields["step_ms"]))

    def _save(self, reason, epoch_f):
        path = None
        if self.ctx.is_main:
            t0 = time.perf_counter()
            path = ckpt.save_checkpoint(self.cfg.output_dir, self.global_step, self.model, self.tokenizer,
                                        self.optimizer, self.scheduler, self._trainer_state(epoch_f))
            ckpt.rotate(self.cfg.output_dir, self.cfg.save_total_limit, path)
            self.events.emit("checkpoint", step=self.global_step, path=str(path), reason=reason,
                             save_ms=(time.perf_counter() - t0) * 1000.0)
        self.ctx.barrier()
        return str(path) if path else None

    def evaluate(self, epoch_f):
        sampler = torch.utils.data.DistributedSampler(self.val_ds, self.ctx.world_size, self.ctx.rank, shuffle=False)
        loader = DataLoader(self.val_ds, batch_size=self.cfg.per_device_eval_batch_size, sampler=sampler,
                            collate_fn=PadCollate(self.tokenizer.pad_token_id))
        self.model.eval()
        total, count = 0.0, 0.0
        with torch.no_grad():
            for batch in loader:
                batch = {k: v.to(self.device) for k, v in batch.items()}
                with autocast(self.device, self.amp_dtype):
                    loss = self.model(**batch).loss
                n = float((batch["labels"][:, 1:] != -100).sum())
                total += float(loss) * n
                count += n
        self.model.train()
        total, count = self.ctx.all_reduce_sum([total, count])
        if self.ctx.is_main:
            eval_loss = total / count if count else None
            self.events.emit("eval", step=self.global_step, epoch=epoch_f, eval_loss=eval_loss,
                             eval_samples=len(self.val_ds))
            self.events.log_line({"current_steps": self.global_step, "total_steps": self.total_steps,
                                  "eval_loss": eval_loss, "epoch": round(epoch_f, 4)})


class _Window:
    """What happened since the last step event. Loss and grad norm stay on the device until logged."""

    def __init__(self, device):
        self.start = time.perf_counter()
        self.steps = 0
        self.loss_sum = None
        self.norm_sum = None
        self.data_wait = 0.0
        self.tokens = 0
        self.samples = 0

    def add(self, loss, norm):
        self.steps += 1
        self.loss_sum = loss if self.loss_sum is None else self.loss_sum + loss
        norm = norm.detach().float() if torch.is_tensor(norm) else torch.tensor(float(norm))
        self.norm_sum = norm if self.norm_sum is None else self.norm_sum + norm
