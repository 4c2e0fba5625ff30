"""What every proxy of a loader input shares: unknown attributes pass through, pickling by state.

The wrapped object is `_bs_inner`; `state_dict`, `load_state_dict`, `set_epoch` and anything else
the user's code or a library calls on the loader's inputs reach it unchanged.
"""


class Proxy:
    """Passes unknown attributes (state_dict, load_state_dict, set_epoch, …) through to the original."""

    def __bool__(self):  # never fall back to __len__ for truth: an infinite sampler has none
        return True

    def __getattr__(self, name):
        inner = self.__dict__.get("_bs_inner")
        if inner is None or (name.startswith("__") and name.endswith("__")):
            raise AttributeError(name)
        return getattr(inner, name)

    def __reduce__(self):
        return (make_proxy, (type(self), dict(self.__dict__)))


def make_proxy(cls, state):
    obj = cls.__new__(cls)
    obj.__dict__.update(state)
    return obj
