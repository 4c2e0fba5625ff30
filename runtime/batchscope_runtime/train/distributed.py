"""Multi-process training: launching through torchrun and the process-group context.

`nproc_per_node: N` (or --nproc N) re-launches the same command as
`python -m torch.distributed.run --standalone --nproc_per_node N -m batchscope_runtime train ...`.
Each worker then finds RANK/WORLD_SIZE/LOCAL_RANK in its environment; only rank 0 writes
events, logs and checkpoints. CPU runs use gloo, CUDA runs nccl (ddp_backend overrides).
"""
import os

import torch
import torch.distributed as dist

from .launch import under_torchrun


class Context:
    def __init__(self, rank=0, local_rank=0, world_size=1, device=None):
        self.rank = rank
        self.local_rank = local_rank
        self.world_size = world_size
        self.device = device or torch.device("cpu")

    @property
    def is_main(self):
        return self.rank == 0

    @property
    def distributed(self):
        return self.world_size > 1

    def barrier(self):
        if self.distributed:
            dist.barrier()

    def all_reduce_sum(self, values):
        """Sums a list of floats over all ranks (one collective)."""
        if not self.distributed:
            return list(values)
        t = torch.tensor(values, dtype=torch.float64, device=self.device if dist.get_backend() == "nccl" else "cpu")
        dist.all_reduce(t)
        return t.tolist()

    def close(self):
        if self.distributed and dist.is_initialized():
            dist.destroy_process_group()


def init(backend=None):
    cuda = torch.cuda.is_available()
    if not under_torchrun() or int(os.environ.get("WORLD_SIZE", "1")) == 1:
        return Context(device=torch.device("cuda") if cuda else torch.device("cpu"))
    rank = int(os.environ["RANK"])
    local_rank = int(os.environ["LOCAL_RANK"])
    world = int(os.environ["WORLD_SIZE"])
    backend = backend or ("nccl" if cuda else "gloo")
    if cuda:
        torch.cuda.set_device(local_rank)
    dist.init_process_group(backend=backend)
    device = torch.device("cuda", local_rank) if cuda else torch.device("cpu")
    return Context(rank, local_rank, world, device)
