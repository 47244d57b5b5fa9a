"""One self-contained HTML page from a :class:`~securecomp.analysis.report.Report`.

The page is a Jinja2 template (``templates/report.html``) rendered with autoescaping on: this
module turns the report's numbers into blocks of text (headings, notes, tables, figures) and the
template alone writes markup, escaping every string. Figures are inline ``data:image/png;base64``
images and the style sheet is in the template: nothing refers to another file or host.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

from jinja2 import Environment, PackageLoader, StrictUndefined, Template

if TYPE_CHECKING:
    from .report import ImageNumbers, Report, ReportData

__all__ = ["report_html"]

TITLE = "securecomp security evaluation"


@dataclass(frozen=True)
class Badge:
    status: str
    kind: Literal["badge"] = "badge"


@dataclass(frozen=True)
class Small:
    """A second line of smaller text in a table cell."""

    text: str
    kind: Literal["small"] = "small"


Cell = str | Badge | Small | list[str | Badge | Small]


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    kind: Literal["heading"] = "heading"


@dataclass(frozen=True)
class Note:
    text: str
    kind: Literal["note"] = "note"


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[Cell]]
    numeric: frozenset[int] = field(default_factory=frozenset)   # right-aligned columns
    kind: Literal["table"] = "table"


@dataclass(frozen=True)
class Figure:
    png_base64: str
    caption: str
    kind: Literal["figure"] = "figure"


Block = Heading | Note | Table | Figure


def report_html(report: Report) -> str:
    """The report as one HTML document (a str); write it with UTF-8."""
    data = report.data
    verdict = data["verdict"]
    sections = [_image_section(image, report.figures.get(image["name"], {})) for image in data["images"]]
    return _template().render(
        title=TITLE, meta=_meta(data), sections=sections, checks=_checks(verdict["checks"]),
        verdict={"css": "findings" if verdict["status"] == "findings" else "no-findings",
                 "headline": verdict["headline"], "findings": verdict["findings"],
                 "paragraphs": verdict["paragraphs"]},
        methods=_methods(data["settings"]), seconds=f"{data.get('seconds', 0):.1f}")


@lru_cache(maxsize=1)
def _template() -> Template:
    environment = Environment(loader=PackageLoader(__package__, "templates"), autoescape=True,
                              undefined=StrictUndefined, keep_trailing_newline=True)
    return environment.get_template("report.html")


def _meta(data: ReportData) -> list[str]:
    settings = data["settings"]
    return [f"securecomp {data['securecomp_version']}", data["created"], data["machine"],
            f"key: {data['key_source'] or 'given by the caller'}", f"seed {settings['seed']}",
            f"{settings['trials']} trials per differential experiment, α = {settings['alpha']}"]


# --- building blocks ---------------------------------------------------------------------------

def _number(value: float | None, digits: int = 4) -> str:
    if value is None:
        return "—"
    if isinstance(value, (int,)) and not isinstance(value, bool):
        return str(value)
    return f"{value:.{digits}f}"


def _figure(figures: dict[str, str], name: str, caption: str) -> list[Block]:
    return [Figure(figures[name], caption)] if name in figures else []


# --- one image ---------------------------------------------------------------------------------

def _image_section(image: ImageNumbers, figures: dict[str, str]) -> list[Block]:
    title = f"{image['name']} — {image['width']} x {image['height']}, {image['channels']} channel(s)"
    return [Heading(2, title), Heading(3, "Compression"), *_compression(image["compression"]),
            Heading(3, "Plain and cipher image"),
            Note("The cipher image is ChaosCipher applied to the raw samples (same shape). It is what the "
                 "statistics below measure; securecomp containers hold compressed, then encrypted bytes."),
            *_figure(figures, "images", "Plain image and its ChaosCipher cipher image"),
            *_figure(figures, "histograms", "Histograms of the plain and cipher image"),
            Heading(3, "Statistics"), _statistics(image["statistics"]),
            *_figure(figures, "correlation", "Adjacent samples (3000 random pairs) of the plain and cipher image"),
            Heading(3, "Differential tests (NPCR / UACI)"), *_differential(image["differential"]),
            *_figure(figures, "differential", "NPCR and UACI of each trial with the Wu et al. critical values"),
            Heading(3, "Decryption with a wrong key"), *_wrong_key(image["wrong_key"]),
            Heading(3, "Throughput"), _throughput(image["throughput"], image["compression"]),
            Heading(3, "NIST SP800-22"), *_nist(image.get("nist"))]


def _compression(rows: list[dict[str, Any]]) -> list[Block]:
    table: list[list[Cell]] = [
        [str(row["codec"]), "lossless" if row["lossless"] else str(row["quality"]), str(row["cipher"]),
         str(row["container_bytes"]), _number(row["bpp"]),
         _number(row["psnr"], 2) if row["psnr"] is not None else "∞ (exact)", _number(row["ssim"]),
         _number(row["ms_ssim"])] for row in rows]
    return [Table(["codec", "quality", "cipher suite", "container bytes", "bpp", "PSNR (dB)", "SSIM", "MS-SSIM"],
                  table, frozenset({3, 4, 5, 6, 7})),
            Note("bpp counts the whole container (header and tags); quality is measured on the decrypted image.")]


def _pass(passed: bool) -> Badge:
    return Badge("pass" if passed else "fail")


def _statistics(statistics: dict[str, Any]) -> Table:
    plain, cipher = statistics["plain"], statistics["cipher"]
    local = cipher["local_entropy"]
    rows: list[list[Cell]] = [
        ["entropy (bits)", _number(plain["entropy"], 5), _number(cipher["entropy"], 5),
         f"ideal ≈ {cipher['entropy_expected']:.5f}", Badge("info")],
        ["local entropy (30 blocks of 44 x 44)", _number(plain["local_entropy"]["value"], 5),
         _number(local["value"], 5), f"[{local['low']:.5f}, {local['high']:.5f}]", _pass(local["passed"])],
        ["histogram χ² (255 dof)", _number(plain["histogram"]["statistic"], 1),
         _number(cipher["histogram"]["statistic"], 2), f"< {cipher['histogram']['critical']:.2f}",
         _pass(cipher["histogram"]["passed"])]]
    for direction, values in cipher["correlation"].items():
        rows.append([f"{direction} correlation, all {values['pairs']} pairs",
                     _number(plain["correlation"][direction]["all_pairs"], 5), _number(values["all_pairs"], 5),
                     f"|r| < {values['critical']:.5f}", _pass(abs(values["all_pairs"]) < values["critical"])])
        rows.append([f"{direction} correlation, {values['sampled_pairs']} random pairs",
                     _number(plain["correlation"][direction]["sampled"], 5), _number(values["sampled"], 5),
                     f"|r| < {values['sampled_critical']:.5f}", Badge("info")])
    return Table(["statistic", "plain image", "cipher image", "ideal cipher", "cipher result"], rows,
                 frozenset({1, 2}))


def _differential(differential: dict[str, Any]) -> list[Block]:
    rows: list[list[Cell]] = []
    for change in ("plaintext", "key"):
        result = differential[change]
        rows.append([f"one {'sample ±1' if change == 'plaintext' else 'key bit'} changed", str(result["trials"]),
                     _number(result["npcr_mean"]), _number(result["uaci_mean"]),
                     _rate(result["npcr_pass_rate"]), _rate(result["uaci_pass_rate"]),
                     f"{result['both_passed']}/{result['trials']}"])
    first = differential["plaintext"]
    low, high = first["uaci_interval"]
    return [Note(f"Each trial encrypts both images of its pair with the same nonce (held fixed within the "
                 f"pair) and draws a fresh nonce, so that trials are independent. Critical values "
                 f"(Wu, Noonan & Agaian 2011) for {first['samples']} samples at α = {first['alpha']}: NPCR ≥ "
                 f"{first['npcr_critical']:.4f} %, UACI in [{low:.4f} %, {high:.4f} %]; ideal means "
                 f"{first['npcr_expected']:.4f} % and {first['uaci_expected']:.4f} %."),
            Table(["experiment", "trials", "mean NPCR (%)", "mean UACI (%)", "NPCR pass rate", "UACI pass rate",
                   "both passed"], rows, frozenset({1, 2, 3}))]


def _rate(rate: dict[str, Any]) -> Cell:
    status = {"consistent": "pass", "low": "fail", "suspicious": "suspicious"}[rate["verdict"]]
    return [f"{rate['passes']}/{rate['trials']} ({100 * rate['rate']:.1f} %) ", Badge(status),
            Small(f"P(≤) = {rate['p_low']:.3g}, P(≥) = {rate['p_high']:.3g}")]


def _wrong_key(wrong_key: dict[str, Any]) -> list[Block]:
    raw = Table(["trials", "mean NPCR vs original (%)", "mean UACI vs original (%)", "UACI of this image vs noise",
                 "mean SSIM vs original"],
                [[str(wrong_key["trials"]), _number(wrong_key["npcr_mean"]), _number(wrong_key["uaci_mean"]),
                  _number(wrong_key["uaci_random"]), _number(wrong_key["ssim_mean"])]], frozenset({0, 1, 2, 3, 4}))
    pipeline = Table(["suite", "decryption with a one-bit-wrong key"],
                     [[str(suite), [_pass(outcome["refused"]),
                                    " " + (f"refused: {outcome['error']}" if outcome["refused"] else "NOT refused")]]
                      for suite, outcome in wrong_key["pipeline"].items()])
    return [Note("Raw ChaosCipher, same nonce: the image decrypted with a key one bit off, against the original "
                 "(noise gives NPCR ≈ 99.61 %, SSIM ≈ 0)."), raw,
            Note("Full pipeline (securecomp.encrypt, then securecomp.decrypt with the wrong key):"), pipeline]


def _throughput(throughput: dict[str, Any], compression: list[dict[str, Any]]) -> Table:
    rows: list[list[Cell]] = [["ChaosCipher (raw samples)", _number(throughput["chaos_mb_per_s"], 1)],
                              ["AES-256-GCM (one call, same bytes)", _number(throughput["aes_gcm_mb_per_s"], 1)]]
    for row in compression:
        label = f"securecomp.encrypt / decrypt ({row['codec']}, {row['cipher']})"
        rows.append([label, f"{row['encrypt_mb_per_s']:.1f} / {row['decrypt_mb_per_s']:.1f}"])
    return Table(["operation", "MB/s of pixel data"], rows, frozenset({1}))


def _nist(nist: dict[str, Any] | None) -> list[Block]:
    if not nist:
        return [Note("Not run (--nist-sequences 0).")]
    rows: list[list[Cell]] = []
    for test in nist["tests"]:
        status = {True: "pass", False: "fail", None: "skipped"}[test["passed"]]
        applied = [row for row in test["rows"] if row["applied"]]
        lowest = min((row["proportion"] for row in applied), default=None)
        uniform = [row["uniformity"] for row in applied if row["uniformity"] is not None]
        rows.append([str(test["title"]), str(len(test["rows"])), _number(lowest, 3),
                     _number(min(uniform), 4) if uniform else "— (needs 55 sequences)",
                     f"{test['failing_rows']} (≤ {test['allowed_failures']})",
                     [Badge(status), " " + str(test["skipped"])]])
    low, high = _interval(nist)
    return [Note(f"{nist['source']}: {nist['sequences']} sequences of {nist['sequence_length']} bits, α = "
                 f"{nist['alpha']}; proportion of passing sequences must lie in [{low:.4f}, {high:.4f}]."),
            Table(["test", "P-values per sequence", "lowest proportion", "lowest uniformity P",
                   "failing rows (chance allows)", "result"], rows, frozenset({1, 2, 3}))]


def _interval(nist: dict[str, Any]) -> tuple[float, float]:
    for test in nist["tests"]:
        for row in test["rows"]:
            if row["applied"] == nist["sequences"]:
                low, high = row["interval"]
                return (low, high)
    return (float("nan"), float("nan"))


def _checks(checks: list[dict[str, Any]]) -> Table:
    rows: list[list[Cell]] = [[str(check["image"]), str(check["check"]), Badge(check["status"]), str(check["detail"])]
                              for check in checks]
    return Table(["image", "check", "result", "detail"], rows)


def _methods(settings: dict[str, Any]) -> list[str]:
    return [
        "NPCR/UACI: two cipher images of plaintexts differing in one sample (±1) or of keys differing in one bit, "
        "encrypted with the same nonce, judged with the critical values of Wu, Noonan & Agaian (2011). Each "
        f"experiment repeats {settings['trials']} times at random positions; an ideal cipher passes each test in "
        f"{100 * (1 - settings['alpha']):.0f} % of trials, and a binomial test (1 % on each side) flags rates that "
        "are too low or too high.",
        "Local entropy: mean Shannon entropy of 30 random non-overlapping 44 x 44 blocks (Wu et al. 2013), "
        "against μ ± z·σ/√30 from the exact distribution of a block of uniform samples.",
        "Correlation: Pearson coefficient of horizontally, vertically and diagonally adjacent samples; |r| must "
        "stay below z_{α/2}/√N for N pairs.",
        "Histogram χ²: 256 bins against the uniform histogram, 255 degrees of freedom.",
        f"NIST SP800-22 rev1a: the fifteen tests at α = {settings['nist_alpha']}, with the proportion rule and, "
        "from 55 sequences on, the uniformity rule.",
        "Statistical tests check that a cipher is not obviously broken; passing them is not a proof of security.",
    ]
