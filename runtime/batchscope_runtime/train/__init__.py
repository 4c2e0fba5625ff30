"""`python -m batchscope_runtime train CONFIG.yaml [--set key=value ...] [--nproc N] [--events FD|FILE]`

Trains a causal LM on a LLaMA-Factory-style SFT config and writes NDJSON events
(protocol/train-events.schema.json) on the events channel, stdout by default.
Exit codes: 0 finished or stopped cleanly, 1 training failed, 2 bad config or data.
"""
import argparse
import os
import sys
import traceback

from .errors import TrainError, is_cuda_oom, matcher_line, oom_error


def _parser():
    p = argparse.ArgumentParser(prog="python -m batchscope_runtime train", description=__doc__.split("\n\n")[1])
    p.add_argument("config", help="YAML config (LLaMA-Factory SFT keys)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config key (repeatable)")
    p.add_argument("--nproc", type=int, default=None, help="processes per node through torchrun (overrides nproc_per_node)")
    p.add_argument("--events", default=None, help="events channel: a file descriptor number or a file path (default: stdout)")
    p.add_argument("--stop-file", default=None, help="stop gracefully when this file appears")
    p.add_argument("--stdin-control", action="store_true", help="stdin carries requests; EOF on stdin means stop")
    return p


def _report(events, exc, cfg=None, step=None):
    """One error event + one matcher line on stderr. Returns the exit code."""
    if isinstance(exc, TrainError):
        location = exc.location()
        events.emit("error", error_type=exc.kind, message=exc.message, traceback=None, hint=exc.hint,
                    step=step, location=location)
        print(matcher_line("error", exc.message, location), file=sys.stderr, flush=True)
        if exc.hint:
            print("batchscope: hint: %s" % exc.hint, file=sys.stderr, flush=True)
        return 2 if exc.kind in ("ConfigError", "DataError") else 1
    tb = traceback.format_exc()
    if cfg is not None and is_cuda_oom(exc):
        err = oom_error(exc, cfg)
        events.emit("error", error_type="OutOfMemoryError", message=err.message, traceback=tb, hint=err.hint,
                    step=step, location=err.location())
        print(tb, file=sys.stderr, end="", flush=True)
        print(matcher_line("error", err.message + " (" + err.hint + ")", err.location()), file=sys.stderr, flush=True)
        return 1
    events.emit("error", error_type=type(exc).__name__, message=str(exc) or type(exc).__name__, traceback=tb,
                hint=None, step=step, location=None)
    print(tb, file=sys.stderr, end="", flush=True)
    print(matcher_line("error", "%s: %s" % (type(exc).__name__, exc)), file=sys.stderr, flush=True)
    return 1


def main(argv):
    args = _parser().parse_args(argv)
    from . import launch as distributed
    from .config import load_config
    from .events import EventWriter, open_channel

    rank = int(os.environ.get("RANK", "0"))
    try:
        cfg = load_config(args.config, args.overrides)
    except TrainError as e:
        return _report(EventWriter(open_channel(args.events, rank)), e)
    nproc = args.nproc or cfg.nproc_per_node
    if nproc > 1 and not distributed.under_torchrun():
        # The launcher leaves stdout alone: its workers inherit it, and rank 0 writes the events.
        argv = list(argv)
        if "--nproc" in argv:
            i = argv.index("--nproc")
            del argv[i:i + 2]
        return distributed.launch(argv, nproc)
    events = EventWriter(open_channel(args.events, rank))
    for message, code, location in cfg.warnings:
        events.warning(message, code, location)
    return _train(cfg, args, events)


def _train(cfg, args, events):
    from ..debug import hooks
    from . import distributed
    from .loop import Trainer
    from .stop import StopRequest

    hooks.install_from_env()
    ctx = distributed.init(cfg.ddp_backend)
    stop = StopRequest(args.stop_file, args.stdin_control).install(read_stdin=ctx.is_main)
    trainer = Trainer(cfg, events, stop, ctx)
    try:
        trainer.prepare()
        return trainer.run()
    except KeyboardInterrupt:
        events.emit("finished", step=getattr(trainer, "global_step", 0), total_steps=getattr(trainer, "total_steps", 0),
                    reason="stopped", elapsed_s=0.0, output_dir=str(cfg.output_dir), last_checkpoint=None)
        print("batchscope: interrupted (second Ctrl-C): no checkpoint written", file=sys.stderr, flush=True)
        return 130
    except Exception as e:  # noqa: BLE001 - every failure becomes one error event
        return _report(events, e, cfg, step=getattr(trainer, "global_step", None))
    finally:
        events.close()
        ctx.close()
