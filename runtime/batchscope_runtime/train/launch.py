"""Re-launching `train` through torchrun (kept free of torch imports so a bad config fails fast)."""
import os
import subprocess
import sys


def under_torchrun():
    return "LOCAL_RANK" in os.environ and "WORLD_SIZE" in os.environ


def launch(argv, nproc):
    """Runs torchrun with this command; returns its exit code. The workers inherit stdout/stdin."""
    # batchscope_runtime.train.torchrun = torch.distributed.run plus a fix for torch 1.13 on Python 3.11.
    cmd = [sys.executable, "-m", "batchscope_runtime.train.torchrun", "--standalone", "--nproc_per_node=%d" % nproc,
           "-m", "batchscope_runtime", "train"] + list(argv)
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", str(max((os.cpu_count() or 1) // nproc, 1)))
    proc = subprocess.Popen(cmd, env=env)
    while True:
        try:
            return proc.wait()
        except KeyboardInterrupt:  # the workers got the same SIGINT and are stopping; wait for them
            continue
