"""The `llamafactory` engine: the unchanged YAML runs through LLaMA-Factory's own `run_exp` (what
`llamafactory-cli train` runs), with our EventsCallback injected. LLaMA-Factory writes its own
trainer_log.jsonl; relative paths resolve as it resolves them (the working directory)."""

from .callback import EventsCallback
from .inject import patch_trainer_init


def run(cfg, events, stop, reason, extra=None):
    import llamafactory
    from llamafactory.train.tuner import run_exp

    fields = {"finetuning_type": cfg.finetuning_type, "llamafactory_version": getattr(llamafactory, "__version__", "")}
    fields.update(extra or {})
    cb = EventsCallback(events, "llamafactory", reason, stop=stop, write_log=False, config_path=cfg.path, extra=fields)
    # run_exp(callbacks=...) adds it too; the patch also gives the callback its Trainer (DataLoader timing).
    patch_trainer_init(cb)
    args = {
        k: v
        for k, v in cfg.raw.items()
        if k not in ("engine", "nproc_per_node", "nnodes", "node_rank", "master_addr", "master_port", "record")
    }
    run_exp(args=args, callbacks=[cb])
    return 0
