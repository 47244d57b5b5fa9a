"""Training loop behind ``securecomp train`` (rate–distortion, CompressAI's λ per quality).

Loss = λ·255²·MSE + bpp, with bpp the −log2 likelihoods per pixel; the entropy bottleneck's
quantiles follow their own auxiliary loss. Random crops and flips; periodic validation (and one
before the first step of a run that starts from other weights); resumable checkpoints: the latest
in ``checkpoint.pt``, the one with the lowest validation loss so far in ``best.pt``; one JSON line
per log event. With ``ema`` (a decay such as 0.999) an exponential moving average of the weights
is what validation sees and what best.pt and exports hold: it smooths the step-to-step noise of
small batches (Polyak averaging).
"""

from __future__ import annotations

import copy
import json
import math
import pickle
import random
import signal
import threading
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ..errors import ParameterError
from . import zoo
from .train_config import TrainConfig

VAL_QUALITIES = (1, 3, 5, 8)     # where a continuous-rate model is validated
# λ of a per-quality model (--quality: CompressAI's ladder); the continuous model's are meanscale.LAMBDAS
PER_QUALITY_LAMBDAS = {1: 0.0018, 2: 0.0035, 3: 0.0067, 4: 0.0130, 5: 0.0250, 6: 0.0483, 7: 0.0932, 8: 0.1800}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff"}


def image_files(folder: str | Path) -> list[Path]:
    files = sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise ParameterError(f"no images found under {folder}", hint="--data takes a folder of PNG/JPEG files")
    return files


def load_images(files: list[Path], min_side: int) -> list[torch.Tensor]:
    """Every image as a uint8 3×H×W tensor (held in memory; the training sets are small)."""
    images = []
    for path in files:
        with Image.open(path) as im:
            rgb = np.asarray(im.convert("RGB"))
        if min(rgb.shape[:2]) >= min_side:
            images.append(torch.from_numpy(rgb.copy()).permute(2, 0, 1))
    return images


def random_batch(images: list[torch.Tensor], size: int, crop: int, rng: random.Random) -> torch.Tensor:
    batch = []
    for _ in range(size):
        image = images[rng.randrange(len(images))]
        top = rng.randrange(image.shape[1] - crop + 1)
        left = rng.randrange(image.shape[2] - crop + 1)
        patch = image[:, top : top + crop, left : left + crop]
        if rng.random() < 0.5:
            patch = patch.flip(2)
        if rng.random() < 0.5:
            patch = patch.flip(1)
        batch.append(patch)
    return torch.stack(batch).float().div_(255.0)


def rate_distortion(out: dict, x: torch.Tensor, lmbda: float | torch.Tensor,
                    weight: float | torch.Tensor = 1.0, y_rate: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
    """λ·255²·MSE + bpp per image, times ``weight``, averaged; ``lmbda`` and ``weight`` are one
    value or one per image (shape (N,)). ``y_rate`` (one factor per channel of y) weighs y's bits
    in the loss (:meth:`Trainer.y_rate`); the reported bpp always counts every bit."""
    pixels = x.shape[2] * x.shape[3]
    bits = {name: -torch.log2(lk.float()) for name, lk in out["likelihoods"].items()}
    bpp = sum(b.flatten(1).sum(dim=1) for b in bits.values()) / pixels
    paid = bpp
    if y_rate is not None:
        paid = bpp - ((1 - y_rate[:, None, None]) * bits["y"]).flatten(1).sum(dim=1) / pixels
    mse = torch.mean((out["x_hat"].float().clamp(0, 1) - x) ** 2, dim=(1, 2, 3))
    per_image = torch.as_tensor(lmbda, dtype=mse.dtype, device=mse.device) * 255**2 * mse + paid
    loss = torch.mean(torch.as_tensor(weight, dtype=mse.dtype, device=mse.device) * per_image)
    mse = mse.mean()
    return {"loss": loss, "bpp": bpp.mean(), "mse": mse, "psnr": -10 * torch.log10(mse.clamp_min(1e-10))}


def _forward(model, x: torch.Tensor, quality: torch.Tensor | None) -> dict:
    """The model's training forward; a continuous-rate model also takes each image's quality."""
    return model(x) if quality is None else model(x, quality)


@torch.no_grad()
def validate(model, images: list[torch.Tensor], lmbda: float, device: torch.device,
             quality: float | None = None) -> dict[str, float]:
    model.eval()
    totals: dict[str, float] = {}
    for image in images:
        h, w = (image.shape[1] // 64) * 64, (image.shape[2] // 64) * 64
        x = image[None, :, :h, :w].float().div(255.0).to(device)
        q = None if quality is None else torch.full((1,), float(quality), device=device)
        for name, value in rate_distortion(_forward(model, x, q), x, lmbda).items():
            totals[name] = totals.get(name, 0.0) + float(value) / len(images)
    model.train()
    return totals


def validate_range(model, images: list[torch.Tensor], device: torch.device) -> dict[str, float]:
    """A continuous-rate model at VAL_QUALITIES: per quality q its bpp/psnr as ``bpp@q``/``psnr@q``,
    and ``loss`` the mean of the losses (each at its own λ, weighted as in training)."""
    from .meanscale import lambda_of, loss_weight

    result: dict[str, float] = {"loss": 0.0}
    for q in VAL_QUALITIES:
        terms = validate(model, images, float(lambda_of(q)), device, quality=q)
        result["loss"] += terms["loss"] * float(loss_weight(q)) / len(VAL_QUALITIES)
        result |= {f"bpp@{q:g}": terms["bpp"], f"psnr@{q:g}": terms["psnr"], f"loss@{q:g}": terms["loss"]}
    return result


def _check(config: TrainConfig) -> None:
    from .catalog import CONTINUOUS_MODELS, MODELS

    if config.model not in MODELS:
        raise ParameterError(f"unknown model {config.model!r}", hint=f"models: {', '.join(MODELS)}")
    if config.model in CONTINUOUS_MODELS:
        if config.quality is not None:
            raise ParameterError(f"{config.model} trains every quality at once; leave out --quality")
    elif config.quality not in PER_QUALITY_LAMBDAS:
        raise ParameterError(f"quality must be 1..8, got {config.quality}")
    elif config.rate_ramp is not None:
        raise ParameterError("--rate-ramp weighs the latent channels of a continuous-rate model",
                             hint=f"models: {', '.join(CONTINUOUS_MODELS)}")
    if config.crop <= 0 or config.crop % 64:
        raise ParameterError(f"--crop must be a positive multiple of 64, got {config.crop}")
    if config.quantization not in ("noise", "mixed"):
        raise ParameterError(f"--quantization must be noise or mixed, got {config.quantization!r}")
    if config.latent_gain != 1 and not config.init:
        raise ParameterError("--latent-gain needs --init", hint="it moves a trained model to another λ")
    if not config.latent_gain > 0:
        raise ParameterError(f"--latent-gain must be positive, got {config.latent_gain}")
    if config.precision not in ("auto", "bf16", "float32"):
        raise ParameterError(f"--precision must be auto, bf16 or float32, got {config.precision!r}")
    if config.rate_ramp is not None and (config.rate_ramp[0] < 0 or config.rate_ramp[1] <= 0):
        raise ParameterError(f"--rate-ramp takes a first channel (0 or more) and a positive step count, "
                             f"got {' '.join(map(str, config.rate_ramp))}")
    if not 0 <= config.top_share < 1:
        raise ParameterError(f"--top-share must be a share in [0, 1), got {config.top_share}")
    if not 0 <= config.ema < 1:
        raise ParameterError(f"--ema must be a decay in [0, 1), got {config.ema}", hint="e.g. 0.999; 0 turns it off")
    if min(config.steps, config.batch_size, config.val_every) <= 0 or config.lr <= 0 or config.warmup < 0:
        raise ParameterError("--steps, --batch-size, --val-every and --lr must be positive, --warmup at least 0")


# --top-share draws from here up: the qualities whose coded PSNR sits within a dB of the transforms'
# ceiling (benchmarks/transform_ceiling.py), so that only better transforms raise them
TOP_QUALITY = 6

FAST_LR_FACTOR = 10      # parameters that learn 10 times faster than the transforms:
FAST_PARAMETERS = ("gain.", "context_prediction.", "parameter_net.", "conditioning.", "g_s_blocks.")


def _with_fast_rate(model, main: list, lr: float, also: tuple[str, ...] = ()) -> list[dict]:
    """Adam parameter groups: the gain units, the checkerboard context, the conditional channels,
    g_s's residual blocks (if any) and whatever ``also`` names (--fast) learn FAST_LR_FACTOR times
    faster than the transforms. At the transforms' rate the gains had moved by 0.02 in log after
    3,000 steps while the low qualities needed their quantizers moved (session 7), and the context,
    started at zero, saved 0.06 % of y's bits after 3,000 steps (session 9)."""
    parts = FAST_PARAMETERS + tuple(also)
    fast = {id(p) for name, p in model.named_parameters() if any(part in name for part in parts)}
    groups = [{"params": [p for p in main if id(p) not in fast]},
              {"params": [p for p in main if id(p) in fast], "lr": lr * FAST_LR_FACTOR}]
    return [group for group in groups if group["params"]]


@torch.no_grad()
def ema_update(average: torch.nn.Module, model: torch.nn.Module, decay: float) -> None:
    """average ← decay·average + (1 − decay)·model for parameters; buffers are copied."""
    for mean, value in zip(average.parameters(), model.parameters()):
        mean.lerp_(value, 1 - decay)
    for mean, value in zip(average.buffers(), model.buffers()):
        mean.copy_(value)


def _read(path: str, device: torch.device) -> dict:
    """A checkpoint or weights file (tensors and plain data only: nothing in it is executed)."""
    try:
        state = torch.load(path, map_location=device)
    except (OSError, RuntimeError, pickle.UnpicklingError) as exc:
        raise ParameterError(f"cannot read {path}: {str(exc).splitlines()[0]}",
                             hint="give a RUN/checkpoint.pt, RUN/best.pt or a securecomp/codec/weights/*.pt file") from None
    if not isinstance(state, dict):
        raise ParameterError(f"{path} holds no weights", hint="give a checkpoint or a weights file")
    return state


def _widths_from(started: dict | None, resumed: dict | None) -> dict | None:
    """The weights whose widths the model takes: the resumed run's, or a start of the same kind
    (a continuous model's, e.g. one pruned by scripts/derive_start.py --keep); None: the catalog's."""
    if resumed is not None and isinstance(resumed.get("model"), dict):
        return resumed["model"]
    weights = zoo.weights_of(started) if started is not None else None
    return weights if isinstance(weights, dict) and "gain.log_gain" in weights else None


def _start(model, weights: dict, path: str) -> None:
    try:
        model.init_from(weights)
    except (KeyError, ValueError) as exc:
        raise ParameterError(f"{path} cannot start this model: {exc}",
                             hint="start from weights of the same --model (or a bmshj2018-hyperprior of its N)") from None


def _restore(model, weights: dict, path: str) -> None:
    try:
        model.load_state_dict(weights)
    except (RuntimeError, TypeError, AttributeError) as exc:
        raise ParameterError(f"{path} does not fit this model: {str(exc).splitlines()[0]}",
                             hint="start from weights of the same --model (any quality of the same width)") from None


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _interrupt_on_signals() -> None:
    """SIGINT and SIGTERM stop training with a checkpoint, also in a background job (where the
    shell leaves SIGINT ignored)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _raise_interrupt)
        signal.signal(signal.SIGTERM, _raise_interrupt)


class Trainer:
    """Owns the model, its two optimizers, the data and the run folder (checkpoints, log.jsonl)."""

    def __init__(self, config: TrainConfig) -> None:
        from .catalog import model_for
        from .models import parameter_groups

        _check(config)
        self.config, self.device = config, zoo.pick_device(config.device)
        torch.manual_seed(config.seed)
        self.rng = random.Random(config.seed)
        started = _read(config.init, self.device) if config.init else None
        resumed = _read(config.resume, self.device) if config.resume else None
        self.model = model_for(config.model, config.quality, like=_widths_from(started, resumed))
        self.model.to(self.device, memory_format=torch.channels_last)
        for module in self.model.modules():
            if hasattr(module, "mixed"):
                module.mixed = config.quantization == "mixed"
        main, aux = parameter_groups(self.model)
        self.optimizer = torch.optim.Adam(_with_fast_rate(self.model, main, config.lr, config.fast), lr=config.lr)
        self.aux_optimizer = torch.optim.Adam(aux, lr=config.aux_lr)
        self.base_lrs = [group["lr"] for group in self.optimizer.param_groups]
        self.step, self.best, self.last_val = 0, math.inf, {}
        self.run = Path(config.out)
        self.run.mkdir(parents=True, exist_ok=True)
        self.train_images = load_images(image_files(config.data), config.crop)
        if not self.train_images:
            raise ParameterError(f"no training image under {config.data} is at least {config.crop} px on each side",
                                 hint="use a smaller --crop (a multiple of 64) or larger images")
        self.val_images = load_images(image_files(config.val), 64) if config.val else []
        if started is not None:
            weights = zoo.weights_of(started)               # a checkpoint, or shipped weights
            if hasattr(self.model, "init_from"):     # a narrower model of its kind, or a scale hyperprior
                _start(self.model, weights, config.init)
            else:
                _restore(self.model, weights, config.init)
            if config.latent_gain != 1:
                if not hasattr(self.model, "scale_latents"):
                    raise ParameterError(f"{config.model} has no latent gain",
                                         hint="--latent-gain works with bmshj2018-hyperprior")
                self.model.scale_latents(config.latent_gain)
        self.average = copy.deepcopy(self.model).requires_grad_(False) if config.ema else None
        if resumed is not None:
            self._load(resumed, config.resume)

    @property
    def _bf16(self) -> bool:
        """bf16 autocast for the transforms (the entropy models always run in float32)."""
        return self.config.precision == "bf16" or (self.config.precision == "auto" and self.device.type == "cuda")

    @property
    def evaluated(self) -> torch.nn.Module:
        """The weights that are validated and exported: the moving average where there is one."""
        return self.model if self.average is None else self.average

    def _load(self, state: dict, path: str) -> None:
        if "config" not in state:
            raise ParameterError(f"{path} is not a training checkpoint", hint="--resume takes RUN/checkpoint.pt")
        saved = state["config"]
        if (saved["model"], saved["quality"]) != (self.config.model, self.config.quality):
            raise ParameterError(f"{path} is a {saved['model']} quality {saved['quality']} run",
                                 hint="resume with the same --model and --quality, or use --init to fine-tune")
        _restore(self.model, state["model"], path)
        if self.average is not None:
            _restore(self.average, zoo.weights_of(state), path)
        self.optimizer.load_state_dict(state["optimizer"])
        self.aux_optimizer.load_state_dict(state["aux_optimizer"])
        self.step, self.best = state["step"], state.get("best", math.inf)
        self.rng.setstate(state["rng"])
        if "torch_rng" in state:      # the quantization noise continues where it stopped
            torch.set_rng_state(state["torch_rng"].cpu())

    def save(self, name: str = "checkpoint.pt") -> Path:
        state = {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                 "aux_optimizer": self.aux_optimizer.state_dict(), "step": self.step, "best": self.best,
                 "rng": self.rng.getstate(), "torch_rng": torch.get_rng_state(), "config": asdict(self.config)}
        if self.average is not None:
            state["ema"] = self.average.state_dict()
        path = self.run / name
        torch.save(state, path.with_suffix(".tmp"))
        path.with_suffix(".tmp").replace(path)
        return path

    def log(self, event: str, **values) -> None:
        record = {"event": event, "step": self.step, "time": round(time.time(), 1), **values}
        with open(self.run / "log.jsonl", "a") as handle:
            handle.write(json.dumps(record) + "\n")

    def train_step(self) -> dict[str, float]:
        c = self.config
        x = random_batch(self.train_images, c.batch_size, c.crop, self.rng).to(self.device)
        x = x.contiguous(memory_format=torch.channels_last)
        autocast = torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self._bf16)
        quality, lmbda, weight = self._draw_rates(len(x))
        with autocast:
            out = _forward(self.model, x, quality)
        terms = rate_distortion(out, x, lmbda, weight, self.y_rate())
        self.optimizer.zero_grad(set_to_none=True)
        terms["loss"].backward()
        # only the main optimizer's gradients: the quantiles still hold the last aux gradient (about
        # 500 in norm against 10-400), which dominated this clip until session 11 and, absent on the
        # first step after a resume, made that step ~50 times too large for Adam's history
        torch.nn.utils.clip_grad_norm_([p for group in self.optimizer.param_groups for p in group["params"]], 1.0)
        ramp = min(1.0, (self.step + 1) / c.warmup) if c.warmup else 1.0
        for group, base in zip(self.optimizer.param_groups, self.base_lrs):
            group["lr"] = base * ramp
        self.optimizer.step()
        aux = self.model.aux_loss()
        self.aux_optimizer.zero_grad(set_to_none=True)
        aux.backward()
        self.aux_optimizer.step()
        if self.average is not None:
            ema_update(self.average, self.model, self.config.ema)
        self.step += 1
        return {name: value.detach().item() for name, value in terms.items()} | {"aux": aux.detach().item()}

    def y_rate(self) -> torch.Tensor | None:
        """--rate-ramp FIRST STEPS: the weight of each channel of y's bits in this step's loss, 1 below
        FIRST and step/STEPS from it. Grown channels (scripts/derive_start.py --latents) start
        silent, and the rate pushed them back to silence before the decoder had learned to read
        them (sessions 8 and 17); free of rate, they first learn to carry what the decoder lacks."""
        if self.config.rate_ramp is None:
            return None
        first, steps = self.config.rate_ramp
        rate = torch.ones(self.model.M, device=self.device)
        rate[first:] = min(1.0, self.step / steps)
        return rate

    def _draw_rates(self, n: int) -> tuple[torch.Tensor | None, float | torch.Tensor, float | torch.Tensor]:
        """(qualities, λ, loss weight): None, the quality's λ and 1; or for a continuous-rate model
        one quality per image drawn uniformly from [1, 8] (λ log-uniform over the whole range), or
        with probability ``top_share`` from [TOP_QUALITY, 8], its λ and its weight
        (meanscale.loss_weight)."""
        if self.config.quality is not None:
            return None, PER_QUALITY_LAMBDAS[self.config.quality], 1.0
        from .meanscale import MAX_QUALITY, MIN_QUALITY, lambda_of, loss_weight

        share = self.config.top_share       # (no draw at 0, so that older runs resume as they were)
        lowest = [TOP_QUALITY if share and self.rng.random() < share else MIN_QUALITY for _ in range(n)]
        quality = torch.tensor([self.rng.uniform(low, MAX_QUALITY) for low in lowest])
        return quality.to(self.device), lambda_of(quality).to(self.device), loss_weight(quality).to(self.device)

    def fit(self, progress: bool = True) -> dict[str, float]:
        from tqdm import tqdm

        c = self.config
        shipped = zoo.shipped_record(c.init) if c.init else None    # its chain, kept with the run
        self.log("start", config=asdict(c), device=str(self.device), threads=torch.get_num_threads(),
                 images=len(self.train_images),
                 **({"init_shipped": shipped} if shipped else {}))
        bar = tqdm(total=c.steps, initial=self.step, disable=not progress, dynamic_ncols=True)
        _interrupt_on_signals()
        try:
            if c.init and self.step == 0:       # the starting point, so that best.pt is never worse
                self.validate()
            self._loop(bar)
        except KeyboardInterrupt:     # Ctrl-C / SIGINT: keep what was learned
            self.log("interrupted")
        bar.close()
        self.save()
        self.log("done", **self.last_val)
        return self.last_val

    def validate(self) -> dict[str, float]:
        """Validation figures (logged); a new lowest loss is saved as best.pt. {} without --val."""
        if not self.val_images:
            return {}
        if self.config.quality is None:
            result = validate_range(self.evaluated, self.val_images, self.device)
        else:
            result = validate(self.evaluated, self.val_images, PER_QUALITY_LAMBDAS[self.config.quality], self.device)
        self.log("val", **result)
        self.last_val = result | {"validated_at": self.step}    # "done" repeats it: say from when
        if result["loss"] < self.best:
            self.best = result["loss"]
            self.save("best.pt")
        return result

    def _loop(self, bar) -> None:
        c, last_save = self.config, time.monotonic()
        while self.step < c.steps:
            terms = self.train_step()
            bar.update(1)
            bar.set_postfix(loss=f"{terms['loss']:.3f}", bpp=f"{terms['bpp']:.3f}", psnr=f"{terms['psnr']:.2f}")
            if self.step % 50 == 0:
                self.log("train", **terms)
            if self.step % c.val_every == 0 or self.step == c.steps:
                self.validate()
            if time.monotonic() - last_save > 60 * c.checkpoint_minutes:
                self.save()
                last_save = time.monotonic()
