"""A DistributedSampler that can skip the samples already consumed in an epoch.

Resuming restores the data order exactly: the permutation depends only on (seed, epoch) as in
DistributedSampler, and the consumed prefix is skipped at the index level, so the skipped batches
are never loaded. One process uses it with num_replicas=1, so there is a single code path.
"""
import itertools

from torch.utils.data import DistributedSampler


class ResumableSampler(DistributedSampler):
    def __init__(self, dataset, num_replicas, rank, seed, shuffle=True):
        super().__init__(dataset, num_replicas=num_replicas, rank=rank, shuffle=shuffle, seed=seed, drop_last=False)
        self.skip = 0

    def set_epoch(self, epoch, skip=0):
        super().set_epoch(epoch)
        self.skip = skip

    def __iter__(self):
        return itertools.islice(super().__iter__(), self.skip, None)

    def __len__(self):
        return max(self.num_samples - self.skip, 0)
