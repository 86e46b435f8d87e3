"""torch.random: the default generator and seeding functions."""

from ._random import (Generator, default_generator, fork_rng, get_rng_state,  # noqa: F401
                      initial_seed, manual_seed, seed, set_rng_state)
