"""Repairs for torch 1.13 (Debian 12's python3-torch, the oldest stack the runtime supports) where the
engines' own libraries call newer torch APIs. Each repair is a no-op on a torch that has the API.

- `torch.cpu.device_count()` / `torch.cpu.set_device()` (torch >= 2.1): accelerate's
  `PartialState.set_device` calls both for a multi-process CPU run (gloo, e.g. `--nnodes 2` on CPU),
  so TrainingArguments fails there with "module 'torch.cpu' has no attribute 'device_count'".
  As torch 2.1 defines them, the CPU counts as one device and selecting it does nothing.
(torchrun's own 1.13 bug on Python 3.11 is repaired in torchrun.py, in the launcher process.)
"""


def repair_old_torch():
    import torch

    cpu = getattr(torch, "cpu", None)
    if cpu is None:
        return
    if not hasattr(cpu, "device_count"):
        cpu.device_count = lambda: 1
    if not hasattr(cpu, "set_device"):
        cpu.set_device = lambda device: None
