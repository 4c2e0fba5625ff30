"""`python -m batchscope_runtime train CONFIG.yaml | SCRIPT.py [args] | -m MODULE [args]`

Trains through an engine: `transformers` (Trainer + peft, the default), `llamafactory` (LLaMA-Factory's
own run_exp) or a user's script, and writes NDJSON events (protocol/train-events.schema.json) on the
events channel, stdout by default. The first event (`launch`) names the engine and why it was chosen.
Exit codes: 0 finished or stopped cleanly, 1 training failed, 2 bad config or data.
"""

import argparse
import os
import sys
import traceback

from .errors import TrainError, is_cuda_oom, matcher_line, oom_error

LAUNCH_FLAGS = ("--nproc", "--nnodes", "--node-rank", "--master-addr", "--master-port")


def _parser():
    p = argparse.ArgumentParser(prog="python -m batchscope_runtime train", description=__doc__.split("\n\n")[1])
    p.add_argument("config", nargs="?", help="YAML config (LLaMA-Factory keys), or a .py script to run instrumented")
    p.add_argument("-m", dest="module", default=None, help="run a module as a script (like python -m)")
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config key (repeatable)",
    )
    p.add_argument(
        "--nproc", type=int, default=None, help="processes per node through torchrun (overrides nproc_per_node)"
    )
    p.add_argument("--nnodes", type=int, default=None, help="number of nodes (torchrun --nnodes)")
    p.add_argument("--node-rank", type=int, default=None, help="this node's rank (torchrun --node_rank)")
    p.add_argument("--master-addr", default=None, help="rank 0's address (torchrun --master_addr)")
    p.add_argument("--master-port", type=int, default=None, help="rank 0's port (torchrun --master_port)")
    p.add_argument(
        "--events", default=None, help="events channel: a file descriptor number or a file path (default: stdout)"
    )
    p.add_argument("--stop-file", default=None, help="stop gracefully when this file appears")
    p.add_argument("--stdin-control", action="store_true", help="stdin carries requests; EOF on stdin means stop")
    return p


def _parse(argv):
    """Arguments after a script's path (or after `--`) are the script's own."""
    argv = list(argv)
    ours, theirs = argv, []
    if "--" in argv:
        i = argv.index("--")
        ours, theirs = argv[:i], argv[i + 1 :]
    else:
        for i, a in enumerate(argv):
            if (
                a.endswith(".py")
                and not a.startswith("-")
                and (i == 0 or argv[i - 1] not in ("--set", "--events", "--stop-file"))
            ):
                ours, theirs = argv[: i + 1], argv[i + 1 :]
                break
            if a == "-m" and i + 1 < len(argv):
                ours, theirs = argv[: i + 2], argv[i + 2 :]
                break
    args = _parser().parse_args(ours)
    args.script_args = theirs
    return args


def _report(events, exc, cfg=None, step=None):
    """One error event + one matcher line on stderr. Returns the exit code."""
    if isinstance(exc, TrainError):
        location = exc.location()
        events.emit(
            "error",
            error_type=exc.kind,
            message=exc.message,
            traceback=None,
            hint=exc.hint,
            step=step,
            location=location,
        )
        print(matcher_line("error", exc.message, location), file=sys.stderr, flush=True)
        if exc.hint:
            print("batchscope: hint: %s" % exc.hint, file=sys.stderr, flush=True)
        return 2 if exc.kind in ("ConfigError", "DataError") else 1
    tb = traceback.format_exc()
    if cfg is not None and is_cuda_oom(exc):
        err = oom_error(exc, cfg)
        events.emit(
            "error",
            error_type="OutOfMemoryError",
            message=err.message,
            traceback=tb,
            hint=err.hint,
            step=step,
            location=err.location(),
        )
        print(tb, file=sys.stderr, end="", flush=True)
        print(matcher_line("error", err.message + " (" + err.hint + ")", err.location()), file=sys.stderr, flush=True)
        return 1
    events.emit(
        "error",
        error_type=type(exc).__name__,
        message=str(exc) or type(exc).__name__,
        traceback=tb,
        hint=None,
        step=step,
        location=None,
    )
    print(tb, file=sys.stderr, end="", flush=True)
    print(matcher_line("error", "%s: %s" % (type(exc).__name__, exc)), file=sys.stderr, flush=True)
    return 1


def _strip_launch_flags(argv):
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
            continue
        if a in LAUNCH_FLAGS:
            skip = True
            continue
        if any(a.startswith(f + "=") for f in LAUNCH_FLAGS):
            continue
        out.append(a)
    return out


def _nodes(args, cfg):
    pick = lambda flag, key, default: flag if flag is not None else (cfg.get(key) if cfg is not None else default)  # noqa: E731
    return dict(
        nproc=pick(args.nproc, "nproc_per_node", 1) or 1,
        nnodes=pick(args.nnodes, "nnodes", 1) or 1,
        node_rank=pick(args.node_rank, "node_rank", 0) or 0,
        master_addr=pick(args.master_addr, "master_addr", "127.0.0.1") or "127.0.0.1",
        master_port=pick(args.master_port, "master_port", 29500) or 29500,
    )


def main(argv):
    args = _parse(argv)
    from . import launch as distributed
    from .events import EventWriter, open_channel

    rank = int(os.environ.get("RANK", "0"))
    target = args.module or args.config
    if not target:
        _parser().print_usage(sys.stderr)
        return 2
    is_script = bool(args.module) or str(target).endswith(".py")
    cfg = None
    if not is_script:
        from .config import load_config
        from .engines import choose

        try:
            cfg = load_config(args.config, args.overrides)
            engine, reason = choose(cfg)
        except TrainError as e:
            return _report(EventWriter(open_channel(args.events, rank)), e)
    else:
        engine, reason = (
            "script",
            "a Python %s: run as written, with the callback injected into its Trainers"
            % ("module" if args.module else "script"),
        )
    nodes = _nodes(args, cfg)
    if (nodes["nproc"] > 1 or nodes["nnodes"] > 1) and not distributed.under_torchrun():
        # The launcher leaves stdout alone: its workers inherit it, and global rank 0 writes the events.
        nproc = nodes.pop("nproc")
        return distributed.launch(_strip_launch_flags(argv), nproc, **nodes)
    events = EventWriter(open_channel(args.events, rank))
    world = int(os.environ.get("WORLD_SIZE", "1"))
    nnodes = max(world // max(int(os.environ.get("LOCAL_WORLD_SIZE", world) or 1), 1), 1)
    events.emit(
        "launch",
        engine=engine,
        reason=reason,
        config=str(cfg.path if cfg else os.path.abspath(target)),
        world_size=world,
        nnodes=nnodes,
        node_rank=int(os.environ.get("GROUP_RANK", "0") or 0),
        pid=os.getpid(),
    )
    if cfg is not None:
        for message, code, location in cfg.warnings:
            events.warning(message, code, location)
    return _train(cfg, args, events, engine, reason, {"nnodes": nnodes})


def _start_recording(cfg, events):
    """The YAML's `record` key (or BATCHSCOPE_RECORD): a bad setting or a missing pyarrow is a config error."""
    from ..record import RecordError, RecordOptionError
    from ..record.links import attach_training

    try:
        attach_training(events, cfg)
    except (RecordError, RecordOptionError) as e:
        if cfg is None or cfg.get("record") is None:  # the setting came from the environment
            from .errors import ConfigError

            raise ConfigError("BATCHSCOPE_RECORD: %s" % e) from None
        raise cfg.error("record", str(e)) from None


def _train(cfg, args, events, engine, reason, extra):
    from ..debug import hooks
    from .compat import repair_old_torch
    from .stop import StopRequest

    hooks.install_from_env()
    repair_old_torch()
    is_main = int(os.environ.get("RANK", "0")) == 0
    stop = StopRequest(args.stop_file, args.stdin_control).install(read_stdin=is_main)
    try:
        _start_recording(cfg, events)  # inside: its errors become error events like any other
        if engine == "script":
            from . import script

            target = args.module or args.config
            return script.run(
                target,
                args.script_args,
                events,
                stop,
                reason,
                as_module=bool(args.module),
                world_size=int(os.environ.get("WORLD_SIZE", "1")),
            )
        if engine == "llamafactory":
            from . import lf_engine

            return lf_engine.run(cfg, events, stop, reason, extra)
        from . import hf_engine
        from .config import resolve_paths

        resolve_paths(cfg)
        return hf_engine.run(cfg, events, stop, reason, extra)
    except KeyboardInterrupt:
        events.emit(
            "finished",
            step=0,
            total_steps=0,
            reason="stopped",
            elapsed_s=0.0,
            output_dir=str(cfg.output_dir) if cfg else "",
            last_checkpoint=None,
        )
        print("batchscope: interrupted (second Ctrl-C): no checkpoint written", file=sys.stderr, flush=True)
        return 130
    except Exception as e:  # noqa: BLE001 - every failure becomes one error event
        return _report(events, e, cfg)
    finally:
        events.close()
