"""The showcase example, ember/examples/gpt.py: it trains, its checkpoint loads in real torch,
and on identical weights and batch ember's loss and gradients at step 1 are torch's."""

from __future__ import annotations

import io

import numpy as np
import pytest

import ember
from ember.examples import gpt

torch = pytest.importorskip("torch")

TINY = ["--n-layer", "1", "--n-head", "2", "--n-embd", "32", "--block-size", "16",
        "--batch-size", "8"]


@pytest.fixture(scope="module")
def data() -> gpt.CharDataset:
    return gpt.CharDataset()


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("gpt") / "tiny.pt"
    return gpt.run([*TINY, "--steps", "40", "--lr", "1e-2", "--eval-interval", "20",
                    "--sample-len", "30", "--out", str(out), "--quiet"])


def test_corpus_is_shipped(data):
    assert sum(len(s) for s in data.splits.values()) > 300_000
    assert data.vocab_size < 100 and "\n" in data.chars
    assert data.decode(data.encode("ROMEO:\n")) == "ROMEO:\n"
    x, y = data.batch("val", 4, 16, np.random.default_rng(0))
    assert x.shape == y.shape == (4, 16) and x.dtype == np.int64
    assert np.array_equal(x[:, 1:], y[:, :-1])  # targets are the inputs shifted by one


def test_training_lowers_the_loss(run):
    (step0, train0, val0), (step_n, train_n, val_n) = run["history"][0], run["history"][-1]
    assert (step0, step_n) == (0, 40)
    assert abs(train0 - np.log(63)) < 0.3  # starts near uniform over the vocabulary
    assert train_n < train0 - 0.6 and val_n < val0 - 0.6
    assert len(run["train_losses"]) == 40 and all(np.isfinite(run["train_losses"]))
    assert len(run["sample"]) == 31 and run["sample"][0] == "\n"  # prompt + 30 characters


def test_checkpoint_loads_in_torch(run):
    model = run["model"]
    ours = model.state_dict()
    theirs = torch.load(run["checkpoint"], weights_only=True)
    assert list(theirs) == list(ours)
    for k, v in ours.items():
        assert theirs[k].dtype == torch.float32, k
        assert np.array_equal(theirs[k].numpy(), v.detach().numpy()), k
    # the tied token embedding and head stay one storage in the file
    assert theirs["tok_emb.weight"].data_ptr() == theirs["head.weight"].data_ptr()
    # and the same model class on torch takes the weights, strictly
    twin = gpt.gpt_class(torch)(model.cfg)
    twin.load_state_dict(theirs)
    assert twin.tok_emb.weight is twin.head.weight


def test_step_one_matches_torch(data):
    cfg = gpt.GPTConfig(vocab_size=data.vocab_size, block_size=16, n_layer=2, n_head=2,
                        n_embd=32)
    ember.manual_seed(0)
    em = gpt.gpt_class(ember)(cfg)
    tm = gpt.gpt_class(torch)(cfg)
    tm.load_state_dict({k: torch.from_numpy(v.detach().numpy().copy())
                        for k, v in em.state_dict().items()})
    x, y = data.batch("train", 4, cfg.block_size, np.random.default_rng(1))
    eopt = gpt.configure_optimizer(ember, em, lr=1e-3)
    topt = gpt.configure_optimizer(torch, tm, lr=1e-3)
    assert [len(g["params"]) for g in eopt.param_groups] == \
        [len(g["params"]) for g in topt.param_groups]
    losses = []
    for step in range(3):
        le = gpt.train_step(ember, em, eopt, ember.from_numpy(x), ember.from_numpy(y))
        lt = gpt.train_step(torch, tm, topt, torch.from_numpy(x), torch.from_numpy(y))
        losses.append((le.item(), lt.item()))
        if step == 0:  # gradients (clipped) of every parameter on identical weights and batch
            tgrads = dict(tm.named_parameters())
            for name, p in em.named_parameters():
                np.testing.assert_allclose(p.grad.numpy(), tgrads[name].grad.numpy(),
                                           rtol=1e-4, atol=1e-6, err_msg=name)
    np.testing.assert_allclose(losses[0][0], losses[0][1], rtol=1e-5)
    np.testing.assert_allclose(*zip(*losses[1:]), rtol=1e-4)  # after AdamW steps too


def test_progress_bar_draws_on_a_terminal():
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Tty()
    bar = gpt.ProgressBar(10, stream=out)
    bar.update(5, 2.5)
    bar.last_draw = 0.0
    bar.update(10, 2.25)
    bar.print("step 10: train loss 2.2500")
    bar.close()
    text = out.getvalue()
    assert "step 10/10 [" in text and "100%" in text and "loss 2.250" in text
    assert "it/s" in text and "ETA 0:00" in text and "step 10: train loss 2.2500\n" in text
    plain = io.StringIO()  # not a terminal (a log file): the bar stays silent
    bar = gpt.ProgressBar(10, stream=plain)
    bar.update(10, 1.0)
    bar.close()
    assert plain.getvalue() == ""
