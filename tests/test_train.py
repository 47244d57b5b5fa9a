"""securecomp train: a tiny run end to end, validation, checkpoints, resume, fine-tune, interrupt, bad input."""

import json

import numpy as np
import pytest
import torch
from PIL import Image

from securecomp.cli import main
from securecomp.codec import train
from securecomp.errors import ParameterError


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    folder = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(0)
    for i in range(3):
        smooth = np.kron(rng.integers(0, 256, (12, 12, 3)), np.ones((8, 8, 1)))
        Image.fromarray(smooth.astype(np.uint8)).save(folder / f"{i}.png")
    Image.fromarray(np.zeros((40, 40, 3), np.uint8)).save(folder / "small.png")   # below the crop: skipped
    return folder


def _train(images, out, *extra, model: tuple[str, ...] = ("bandara2020-sae", "--quality", "3")):
    return main(["train", "--data", str(images), "--val", str(images), "--model", *model, "--batch-size", "2",
                 "--crop", "64", "--val-every", "2", "--device", "cpu", "--out", str(out), *extra])


def _events(out):
    return [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]


def test_a_run_logs_training_and_validation_and_saves_a_checkpoint(images, tmp_path, capsys):
    assert _train(images, tmp_path / "run", "--steps", "4") == 0
    events = _events(tmp_path / "run")
    assert [e["event"] for e in events][0] == "start" and events[0]["images"] == 3
    validations = [e for e in events if e["event"] == "val"]
    assert [v["step"] for v in validations] == [2, 4]
    assert all(v["bpp"] > 0 and 0 < v["psnr"] < 60 for v in validations)
    assert events[-1]["event"] == "done" and events[-1]["validated_at"] == 4
    assert torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=True)["step"] == 4
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["out"] == str(tmp_path / "run")


@pytest.mark.parametrize("model", [("bandara2020-sae", "--quality", "3"), ("mbt2018-mean-gain",)])
def test_a_resumed_run_ends_exactly_where_an_uninterrupted_one_does(images, tmp_path, model):
    """Weights, moving average, optimizers, crops and quantization noise all continue."""
    steps = ("--ema", "0.5", "--lr", "3e-3")
    _train(images, tmp_path / "whole", "--steps", "4", *steps, model=model)
    _train(images, tmp_path / "split", "--steps", "2", *steps, model=model)
    _train(images, tmp_path / "split", "--steps", "4", *steps, "--resume", str(tmp_path / "split" / "checkpoint.pt"),
           model=model)
    whole, split = (torch.load(tmp_path / run / "checkpoint.pt", weights_only=True) for run in ("whole", "split"))
    for key in ("model", "ema"):      # equal up to float rounding (a kernel may sum in another order)
        assert all(torch.allclose(value, split[key][name], rtol=0, atol=1e-4) for name, value in whole[key].items())


def test_a_step_does_not_depend_on_the_aux_gradient_left_from_the_step_before(images, tmp_path):
    """The quantiles keep the last aux gradient between steps (about 500 in norm in the real run)
    but not across a resume. The main gradient clip once counted it, so the first step after a
    resume was ~50 times too large for Adam's history and the run blew up (session 11)."""
    import copy

    from securecomp.codec.train_config import TrainConfig

    trainer = train.Trainer(TrainConfig(model="mbt2018-mean-gain", quality=None, data=str(images), val=None,
                                        out=str(tmp_path / "run"), crop=64, batch_size=2, device="cpu", lr=1e-3))
    trainer.train_step()
    resumed = copy.deepcopy(trainer)          # as a checkpoint holds it: no gradients
    quantiles = [name for name, _ in trainer.model.named_parameters() if name.endswith("quantiles")]
    assert quantiles and all(trainer.model.get_parameter(name).grad is not None for name in quantiles)
    assert all(resumed.model.get_parameter(name).grad is None for name in quantiles)
    for run in (trainer, resumed):
        torch.manual_seed(1)                   # the same quantization noise
        run.train_step()
    after = dict(resumed.model.named_parameters())
    assert all(torch.equal(value, after[name]) for name, value in trainer.model.named_parameters())


def test_top_share_spends_that_share_of_the_crops_on_the_top_qualities(images, tmp_path):
    """--top-share S: about S of the crops draw their quality from [6, 8], the rest from [1, 8] as
    before (so about S + (1 - S) * 2/7 land at 6 or above); 0 keeps the draws as they were."""
    from securecomp.codec.train_config import TrainConfig

    def draws(share: float) -> torch.Tensor:
        trainer = train.Trainer(TrainConfig(model="mbt2018-mean-gain", quality=None, data=str(images), val=None,
                                            out=str(tmp_path / f"run{share}"), crop=64, device="cpu", seed=5,
                                            top_share=share))
        return torch.cat([trainer._draw_rates(100)[0] for _ in range(20)])

    plain, top = draws(0.0), draws(0.5)
    assert plain.min() >= 1 and plain.max() <= 8 and abs(float((plain >= 6).float().mean()) - 2 / 7) < 0.03
    assert abs(float((top >= 6).float().mean()) - (0.5 + 0.5 * 2 / 7)) < 0.03 and top.min() < 2
    with pytest.raises(ParameterError, match="top-share"):
        train.Trainer(TrainConfig(model="mbt2018-mean-gain", quality=None, data=str(images), top_share=1.0,
                                  out=str(tmp_path / "bad"), device="cpu"))


def test_fast_names_more_parameters_that_learn_ten_times_faster(images, tmp_path):
    """--fast g_a.6.: g_a's last layer joins the gains in the fast group (e.g. so that new latent
    channels, which start with zero weights there, grow in one stretch); without it, it does not."""
    from securecomp.codec.train_config import TrainConfig

    def groups(*fast: str) -> list[set[str]]:
        trainer = train.Trainer(TrainConfig(model="mbt2018-mean-gain", quality=None, data=str(images), val=None,
                                            out=str(tmp_path / f"run{len(fast)}"), crop=64, device="cpu",
                                            lr=1e-4, fast=fast))
        names = {id(p): n for n, p in trainer.model.named_parameters()}
        return [{names[id(p)] for p in group["params"]} for group in trainer.optimizer.param_groups]

    plain, fast = groups(), groups("g_a.6.")
    assert "g_a.6.weight" in plain[0] and "gain.log_gain" in plain[1]
    assert {"g_a.6.weight", "g_a.6.bias", "gain.log_gain"} <= fast[1] and "g_a.4.weight" in fast[0]
    assert _train(images, tmp_path / "cli", "--steps", "1", "--fast", "g_a.6.", "g_s.0.") == 0
    assert _events(tmp_path / "cli")[0]["config"]["fast"] == ["g_a.6.", "g_s.0."]


def test_rate_ramp_frees_the_named_channels_of_rate_and_brings_it_back_over_its_steps(images, tmp_path):
    """--rate-ramp FIRST STEPS: y's channels from FIRST weigh step/STEPS of their bits in the loss
    (none at the start), the others all of theirs; the reported bpp still counts every bit."""
    from securecomp.codec.train_config import TrainConfig

    trainer = train.Trainer(TrainConfig(model="mbt2018-mean-gain", quality=None, data=str(images), val=None,
                                        out=str(tmp_path / "run"), crop=64, device="cpu", rate_ramp=(100, 40)))
    M = trainer.model.M
    assert trainer.y_rate().tolist() == [1.0] * 100 + [0.0] * (M - 100)
    trainer.step = 10
    assert trainer.y_rate()[100:].unique().tolist() == [0.25] and trainer.y_rate()[:100].min() == 1
    trainer.step = 400
    assert trainer.y_rate().unique().tolist() == [1.0]

    torch.manual_seed(0)
    x = torch.rand(1, 3, 64, 64)
    out = trainer.model(x, torch.tensor([6.0]))
    full = train.rate_distortion(out, x, 0.0)
    rates = torch.ones(M)
    rates[100:] = 0
    free = train.rate_distortion(out, x, 0.0, y_rate=rates)
    y_bits = -torch.log2(out["likelihoods"]["y"].float())
    assert torch.isclose(full["loss"] - free["loss"], y_bits[:, 100:].sum() / 64**2, rtol=1e-4)
    assert free["loss"] < full["loss"] and torch.equal(free["bpp"], full["bpp"])

    assert _train(images, tmp_path / "cli", "--steps", "1", "--rate-ramp", "100", "40",
                  model=("mbt2018-mean-gain",)) == 0
    assert _events(tmp_path / "cli")[0]["config"]["rate_ramp"] == [100, 40]
    for bad in (("mbt2018-mean-gain", (0, 0)), ("bandara2020-sae", (0, 10))):
        with pytest.raises(ParameterError, match="rate-ramp"):
            train.Trainer(TrainConfig(model=bad[0], quality=None if bad[0] != "bandara2020-sae" else 3,
                                      data=str(images), out=str(tmp_path / "bad"), device="cpu", rate_ramp=bad[1]))


def test_resume_continues_from_the_saved_step_and_init_starts_a_new_run(images, tmp_path):
    run = tmp_path / "run"
    _train(images, run, "--steps", "2")
    assert _train(images, run, "--steps", "4", "--resume", str(run / "checkpoint.pt")) == 0
    assert torch.load(run / "checkpoint.pt", weights_only=True)["step"] == 4
    assert [e["event"] for e in _events(run)].count("start") == 2
    before = torch.load(run / "checkpoint.pt", weights_only=True)["model"]
    main(["train", "--data", str(images), "--model", "bandara2020-sae", "--quality", "5", "--steps", "1",
          "--batch-size", "2", "--crop", "64", "--device", "cpu", "--lr", "1e-12",
          "--init", str(run / "checkpoint.pt"), "--out", str(tmp_path / "tuned")])
    tuned = torch.load(tmp_path / "tuned" / "checkpoint.pt", weights_only=True)
    assert tuned["step"] == 1
    assert torch.allclose(tuned["model"]["g_a.1.weight"], before["g_a.1.weight"], atol=1e-6)


def test_an_interrupt_keeps_a_checkpoint_of_the_steps_done(images, tmp_path, monkeypatch):
    real_step, calls = train.Trainer.train_step, []

    def interrupted(self):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real_step(self)

    monkeypatch.setattr(train.Trainer, "train_step", interrupted)
    assert _train(images, tmp_path / "run", "--steps", "10") == 0
    assert torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=True)["step"] == 2
    events = _events(tmp_path / "run")
    assert "interrupted" in [e["event"] for e in events]
    val = [e for e in events if e["event"] == "val"]
    assert val[-1]["step"] == 2 and events[-1]["loss"] == val[-1]["loss"]     # done reports the last validation


def test_mixed_quantization_is_a_training_setting(images, tmp_path, monkeypatch):
    seen = []
    real_step = train.Trainer.train_step
    monkeypatch.setattr(train.Trainer, "train_step",
                        lambda self: seen.append(self.model.entropy_bottleneck.mixed) or real_step(self))
    assert _train(images, tmp_path / "run", "--steps", "2", "--quantization", "mixed") == 0
    assert seen == [True, True] and _events(tmp_path / "run")[0]["config"]["quantization"] == "mixed"


def test_warmup_raises_the_learning_rate_linearly_to_its_setting(images, tmp_path, monkeypatch):
    rates = []
    real_step = torch.optim.Adam.step
    monkeypatch.setattr(torch.optim.Adam, "step",
                        lambda self, *a, **k: rates.append(self.param_groups[0]["lr"]) or real_step(self, *a, **k))
    assert _train(images, tmp_path / "run", "--steps", "5", "--lr", "1e-3", "--warmup", "4") == 0
    main_rates = rates[::2]             # the main optimizer, then the auxiliary one, at every step
    assert main_rates == pytest.approx([2.5e-4, 5e-4, 7.5e-4, 1e-3, 1e-3])


@pytest.mark.parametrize("extra,message", [
    (["--warmup", "-1"], "at least 0"),
    (["--crop", "100"], "multiple of 64"),
    (["--crop", "128"], "at least 128 px"),
    (["--steps", "0"], "expected a positive integer"),
    (["--model", "nobody-2000"], "unknown model"),
    (["--latent-gain", "2"], "needs --init"),
    (["--quantization", "rounding"], "invalid choice"),
    (["--ema", "1"], "--ema must be a decay in [0, 1)"),
])
def test_bad_settings_are_one_line_errors(images, tmp_path, capsys, extra, message):
    assert _train(images, tmp_path / "run", "--steps", "2", *extra) == 2
    err = capsys.readouterr().err
    assert "error: " in err and message in err and "Traceback" not in err


def test_bad_starting_weights_are_one_line_errors(images, tmp_path, capsys):
    from securecomp.codec import zoo

    other_model = zoo.WEIGHTS / zoo.manifest()["he2021-checkerboard-gain"][zoo.ALL_QUALITIES]["file"]
    for init, message in [(tmp_path / "missing.pt", "cannot read"), (images / "0.png", "cannot read"),
                          (other_model, "does not fit this model")]:
        assert _train(images, tmp_path / "run", "--steps", "1", "--init", str(init)) == 2
        err = capsys.readouterr().err
        assert "error: " in err and message in err and "Traceback" not in err
    assert _train(images, tmp_path / "run", "--steps", "1", "--resume", str(other_model)) == 2
    assert "not a training checkpoint" in capsys.readouterr().err
    own = zoo.WEIGHTS / zoo.manifest()["bandara2020-sae"]["2"]["file"]
    assert _train(images, tmp_path / "run", "--steps", "1", "--init", str(own), "--latent-gain", "2") == 2
    assert "has no latent gain" in capsys.readouterr().err


def test_resuming_a_run_of_another_quality_is_refused(images, tmp_path, capsys):
    _train(images, tmp_path / "run", "--steps", "1")
    code = main(["train", "--data", str(images), "--model", "bandara2020-sae", "--quality", "6",
                 "--steps", "2", "--crop", "64", "--resume", str(tmp_path / "run" / "checkpoint.pt"),
                 "--out", str(tmp_path / "other")])
    assert code == 2 and "--init to fine-tune" in capsys.readouterr().err


def test_cuda_without_a_gpu_is_refused(images, tmp_path, capsys):
    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    code = main(["train", "--data", str(images), "--model", "bandara2020-sae", "--quality", "1",
                 "--device", "cuda", "--crop", "64", "--out", str(tmp_path / "run")])
    assert code == 2 and "no CUDA device" in capsys.readouterr().err


def test_a_run_can_start_from_shipped_weights_and_its_record_keeps_their_lineage(images, tmp_path, repo_script):
    from securecomp.codec import zoo

    shipped = zoo.WEIGHTS / zoo.manifest()["bandara2020-sae"]["2"]["file"]
    run = tmp_path / "more"
    assert main(["train", "--data", str(images), "--model", "bandara2020-sae", "--quality", "2", "--steps", "2",
                 "--batch-size", "2", "--crop", "64", "--device", "cpu", "--lr", "1e-12",
                 "--init", str(shipped), "--out", str(run)]) == 0
    weights = torch.load(shipped, weights_only=True)
    started = torch.load(run / "checkpoint.pt", weights_only=True)["model"]
    assert torch.allclose(started["g_a.1.weight"], weights["g_a.1.weight"].float(), atol=1e-6)

    exporter = repo_script("scripts/export_weights.py")
    entry = zoo.manifest()["bandara2020-sae"]["2"]
    record = exporter.run_record(run / "checkpoint.pt")
    assert record["init"] == f"{entry['init']} → {entry['run']}" and record["run"] == "more"
    assert (record["steps"], record["total_steps"]) == (2, entry["total_steps"] + 2)
    assert _events(run)[0]["init_shipped"]["sha256"] == entry["sha256"]
    with pytest.MonkeyPatch.context() as patch:      # the shipped file exported over since: same chain
        patch.setattr(zoo, "manifest", dict)
        assert exporter.run_record(run / "checkpoint.pt")["init"] == record["init"]

    tuned = tmp_path / "tuned"      # a run from that run's checkpoint, validated from its first step
    assert main(["train", "--data", str(images), "--val", str(images), "--model", "bandara2020-sae",
                 "--quality", "2", "--steps", "6", "--val-every", "2", "--batch-size", "2", "--crop", "64",
                 "--device", "cpu", "--lr", "3e-3", "--init", str(run / "checkpoint.pt"), "--out", str(tuned)]) == 0
    validations = [e for e in _events(tuned) if e["event"] == "val"]
    assert [v["step"] for v in validations] == [0, 2, 4, 6]
    best = min(validations, key=lambda v: v["loss"])
    assert torch.load(tuned / "best.pt", weights_only=True)["step"] == best["step"]
    assert torch.load(tuned / "checkpoint.pt", weights_only=True)["best"] == pytest.approx(best["loss"])
    record = exporter.run_record(tuned / "best.pt")
    assert record["init"] == f"{entry['init']} → {entry['run']} → more" and record["val_psnr"] == best["psnr"]
    assert (record["steps"], record["total_steps"]) == (best["step"], entry["total_steps"] + 2 + best["step"])


def test_ema_update_is_the_moving_average_of_the_parameters():
    model, average = torch.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    before = [p.detach().clone() for p in average.parameters()]
    train.ema_update(average, model, 0.9)
    for mean, old, value in zip(average.parameters(), before, model.parameters()):
        assert torch.allclose(mean, 0.9 * old + 0.1 * value)


def test_with_ema_the_average_is_validated_saved_resumed_and_exported(images, tmp_path):
    from securecomp.codec import zoo
    from securecomp.codec.catalog import model_for

    run = tmp_path / "ema"
    assert _train(images, run, "--steps", "4", "--ema", "0.5", "--lr", "3e-3") == 0
    state = torch.load(run / "checkpoint.pt", weights_only=True)
    last = [e for e in _events(run) if e["event"] == "val"][-1]

    def loss(weights):
        model = model_for("bandara2020-sae", 3)
        model.load_state_dict(weights)
        tensors = train.load_images(train.image_files(images), 64)
        return train.validate(model, tensors, train.PER_QUALITY_LAMBDAS[3], torch.device("cpu"))["loss"]

    assert zoo.weights_of(state) is state["ema"]
    assert loss(state["ema"]) == pytest.approx(last["loss"], rel=1e-5)
    assert loss(state["model"]) != pytest.approx(last["loss"], rel=1e-5)      # the live weights differ
    assert "ema" in torch.load(run / "best.pt", weights_only=True)

    assert _train(images, run, "--steps", "4", "--ema", "0.5", "--resume", str(run / "checkpoint.pt")) == 0
    resumed = torch.load(run / "checkpoint.pt", weights_only=True)["ema"]
    assert all(torch.equal(resumed[name], value) for name, value in state["ema"].items())



def test_a_run_takes_the_widths_of_the_weights_it_starts_or_resumes_from(images, tmp_path):
    """A continuous model pruned (scripts/derive_start.py --keep) or otherwise narrower than the catalog's
    trains at its own widths, and so does a run resumed from its checkpoint."""
    from securecomp.codec.checkerboard import CheckerboardGainHyperprior

    torch.manual_seed(0)
    start = tmp_path / "narrow.pt"
    torch.save(CheckerboardGainHyperprior(16, 24, hidden=40).state_dict(), start)
    model = ("he2021-checkerboard-gain",)
    run = tmp_path / "run"
    assert _train(images, run, "--steps", "1", "--init", str(start), model=model) == 0
    assert _train(images, run, "--steps", "2", "--resume", str(run / "checkpoint.pt"), model=model) == 0
    weights = torch.load(run / "checkpoint.pt", weights_only=True)["model"]
    assert weights["g_a.6.weight"].shape[:2] == (24, 16) and weights["parameter_net.2.weight"].shape[0] == 40


def test_a_run_from_a_pruned_start_keeps_the_lineage_of_the_run_it_was_pruned_from(images, tmp_path, repo_script,
                                                                                     monkeypatch):
    """scripts/derive_start.py --keep records its source, so the exported record of a run started from a
    pruned file chains back through the run that was pruned (and says where the pruning happened)."""
    model = ("he2021-checkerboard-gain",)
    wide, narrow, start = tmp_path / "wide", tmp_path / "narrow", tmp_path / "wide-pruned.pt"
    assert _train(images, wide, "--steps", "2", model=model) == 0
    monkeypatch.setattr("sys.argv", ["derive_start.py", str(wide / "checkpoint.pt"), str(start), "--keep", "24"])
    repo_script("scripts/derive_start.py").main()
    assert _train(images, narrow, "--steps", "1", "--init", str(start), model=model) == 0
    assert torch.load(narrow / "checkpoint.pt", weights_only=True)["model"]["g_a.6.weight"].shape[0] == 24

    record = repo_script("scripts/export_weights.py").run_record(narrow / "checkpoint.pt")
    assert (record["init"], record["run"], record["steps"], record["total_steps"]) == ("wide", "narrow", 1, 3)
    changes = [(s["run"], s["config"].get("change")) for s in record["stages"]]
    assert changes == [("wide", None), ("narrow", "pruned to M = 24")]
