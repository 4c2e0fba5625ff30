"""Re-launching `train` through torchrun (kept free of torch imports so a bad config fails fast).

One node: `torchrun --standalone --nproc_per_node N`. Several: the same command on each node with
`--nnodes K --node_rank i --master_addr A --master_port P`, torchrun's own flags; Batchscope adds no
scheduler of its own. Only global rank 0 writes events, logs and checkpoints.
"""

import os
import subprocess
import sys


def under_torchrun():
    return "LOCAL_RANK" in os.environ and "WORLD_SIZE" in os.environ


def torchrun_command(argv, nproc, nnodes=1, node_rank=0, master_addr="127.0.0.1", master_port=29500):
    # batchscope_runtime.train.torchrun = torch.distributed.run plus a fix for torch 1.13 on Python 3.11.
    cmd = [sys.executable, "-m", "batchscope_runtime.train.torchrun"]
    if nnodes > 1:
        cmd += [
            "--nnodes=%d" % nnodes,
            "--node_rank=%d" % node_rank,
            "--master_addr=%s" % master_addr,
            "--master_port=%d" % master_port,
        ]
    else:
        cmd += ["--standalone"]
    return cmd + ["--nproc_per_node=%d" % nproc, "-m", "batchscope_runtime", "train"] + list(argv)


def launch(argv, nproc, **nodes):
    """Runs torchrun with this command; returns its exit code. The workers inherit stdout/stdin."""
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", str(max((os.cpu_count() or 1) // nproc, 1)))
    proc = subprocess.Popen(torchrun_command(argv, nproc, **nodes), env=env)
    while True:
        try:
            return proc.wait()
        except KeyboardInterrupt:  # the workers got the same SIGINT and are stopping; wait for them
            continue
