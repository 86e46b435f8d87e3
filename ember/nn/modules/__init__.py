"""Every nn module class, one torch file -> one file."""

from . import (
    activation,
    attention,
    batchnorm,
    container,
    conv,
    dropout,
    flatten,
    linear,
    loss,
    module,
    normalization,
    pooling,
    rnn,
    sparse,
    transformer,
    upsampling,
)

__all__: list = []
for _m in (module, container, linear, activation, attention, dropout, loss, normalization,
           batchnorm, sparse, conv, pooling, flatten, upsampling, rnn, transformer):
    for _name in getattr(_m, "__all__", ()):
        globals()[_name] = getattr(_m, _name)
        __all__.append(_name)
