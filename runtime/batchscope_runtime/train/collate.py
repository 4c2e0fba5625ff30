"""Dataset and padding collate for the DataLoader. Module-level classes so that DataLoader workers
started with spawn/forkserver can pickle them."""

import torch
from torch.utils.data import Dataset

from .encode import IGNORE_INDEX


class EncodedDataset(Dataset):
    """Pre-tokenized samples: each item is {"input_ids": [...], "labels": [...]}."""

    def __init__(self, encoded):
        self.encoded = encoded

    def __len__(self):
        return len(self.encoded)

    def __getitem__(self, index):
        ids, labels = self.encoded[index]
        return {"input_ids": ids, "labels": labels}


class PadCollate:
    """Right-pads a list of samples to the longest one: input_ids with pad_id, labels with -100."""

    def __init__(self, pad_id):
        self.pad_id = int(pad_id)

    def __call__(self, items):
        width = max(len(it["input_ids"]) for it in items)
        input_ids = torch.full((len(items), width), self.pad_id, dtype=torch.long)
        labels = torch.full((len(items), width), IGNORE_INDEX, dtype=torch.long)
        attention_mask = torch.zeros((len(items), width), dtype=torch.long)
        for row, it in enumerate(items):
            n = len(it["input_ids"])
            input_ids[row, :n] = torch.as_tensor(it["input_ids"], dtype=torch.long)
            labels[row, :n] = torch.as_tensor(it["labels"], dtype=torch.long)
            attention_mask[row, :n] = 1
        return {"input_ids": input_ids, "attention_mask": attention_mask, "labels": labels}
