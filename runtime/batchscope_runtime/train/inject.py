"""Injecting our EventsCallback into Trainers we do not build: LLaMA-Factory's, TRL's, a user script's.

`patch_trainer_init(callback)` wraps `transformers.Trainer.__init__` so that every Trainer built
afterwards (subclasses included: Seq2SeqTrainer, TRL's SFTTrainer/DPOTrainer, LLaMA-Factory's
CustomSeq2SeqTrainer) gets the callback and its DataLoader timing, with no edit to the caller.
"""

import functools


def patch_trainer_init(callback):
    import transformers

    original = transformers.Trainer.__init__
    if getattr(original, "_batchscope_patched", False):
        return

    @functools.wraps(original)
    def __init__(self, *args, **kwargs):
        original(self, *args, **kwargs)
        if not any(cb is callback for cb in self.callback_handler.callbacks):
            self.add_callback(callback)
        callback.attach(self)

    __init__._batchscope_patched = True
    transformers.Trainer.__init__ = __init__
