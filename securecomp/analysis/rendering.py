"""One self-contained HTML page from a :class:`~securecomp.analysis.report.Report`.

Text goes through :func:`html.escape`; figures are inline ``data:image/png;base64`` images; the
style sheet is in the template (``templates/report.html``). Nothing refers to another file or host.
"""

from __future__ import annotations

import html
from importlib import resources
from string import Template

__all__ = ["report_html"]

TITLE = "securecomp security evaluation"


def report_html(report) -> str:
    """The report as one HTML document (a str); write it with UTF-8."""
    data = report.data
    template = Template(resources.files(__package__).joinpath("templates/report.html").read_text("utf-8"))
    images = "\n".join(_image_section(image, report.figures.get(image["name"], {})) for image in data["images"])
    return template.substitute(title=TITLE, meta=_meta(data), verdict=_verdict(data["verdict"]), images=images,
                               checks=_checks(data["verdict"]["checks"]), methods=_methods(data))


def _meta(data: dict) -> str:
    settings = data["settings"]
    parts = [f"securecomp {data['securecomp_version']}", data["created"], data["machine"],
             f"key: {data['key_source'] or 'given by the caller'}", f"seed {settings['seed']}",
             f"{settings['trials']} trials per differential experiment, α = {settings['alpha']}"]
    return " · ".join(_text(part) for part in parts)


def _verdict(verdict: dict) -> str:
    css = "findings" if verdict["status"] == "findings" else "no-findings"
    findings = "".join(f"<li>{_text(finding)}</li>" for finding in verdict["findings"])
    paragraphs = "".join(f"<p>{_text(paragraph)}</p>" for paragraph in verdict["paragraphs"])
    listing = f"<ul>{findings}</ul>" if findings else ""
    return f'<section class="verdict {css}"><h2>{_text(verdict["headline"])}</h2>{listing}{paragraphs}</section>'


# --- building blocks ---------------------------------------------------------------------------

def _text(value) -> str:
    return html.escape(str(value))


def _badge(status: str) -> str:
    return f'<span class="badge {_text(status)}">{_text(status)}</span>'


def _number(value, digits: int = 4) -> str:
    if value is None:
        return "—"
    if isinstance(value, (int,)) and not isinstance(value, bool):
        return str(value)
    return f"{value:.{digits}f}"


def _table(headers: list[str], rows: list[list[str]], numeric: set[int] | frozenset[int] = frozenset()) -> str:
    head = "".join(f"<th>{_text(header)}</th>" for header in headers)
    body = "".join("<tr>" + "".join(f'<td class="number">{cell}</td>' if index in numeric else f"<td>{cell}</td>"
                                    for index, cell in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _figure(figures: dict, name: str, caption: str) -> str:
    if name not in figures:
        return ""
    return (f'<figure><img src="data:image/png;base64,{figures[name]}" alt="{_text(caption)}">'
            f"<figcaption>{_text(caption)}</figcaption></figure>")


# --- one image ---------------------------------------------------------------------------------

def _image_section(image: dict, figures: dict) -> str:
    title = f"{image['name']} — {image['width']} x {image['height']}, {image['channels']} channel(s)"
    parts = [f"<h2>{_text(title)}</h2>", "<h3>Compression</h3>", _compression(image["compression"]),
             "<h3>Plain and cipher image</h3>",
             _note("The cipher image is ChaosCipher applied to the raw samples (same shape). It is what the "
                   "statistics below measure; securecomp containers hold compressed, then encrypted bytes."),
             _figure(figures, "images", "Plain image and its ChaosCipher cipher image"),
             _figure(figures, "histograms", "Histograms of the plain and cipher image"),
             "<h3>Statistics</h3>", _statistics(image["statistics"]),
             _figure(figures, "correlation", "Adjacent samples (3000 random pairs) of the plain and cipher image"),
             "<h3>Differential tests (NPCR / UACI)</h3>", _differential(image["differential"]),
             _figure(figures, "differential", "NPCR and UACI of each trial with the Wu et al. critical values"),
             "<h3>Decryption with a wrong key</h3>", _wrong_key(image["wrong_key"]),
             "<h3>Throughput</h3>", _throughput(image["throughput"], image["compression"]),
             "<h3>NIST SP800-22</h3>", _nist(image.get("nist"))]
    return f"<section>{''.join(parts)}</section>"


def _note(text: str) -> str:
    return f'<p class="note">{_text(text)}</p>'


def _compression(rows: list[dict]) -> str:
    table = [[_text(row["codec"]), "lossless" if row["lossless"] else _text(row["quality"]),
              _text(row["cipher"]), str(row["container_bytes"]), _number(row["bpp"]),
              _number(row["psnr"], 2) if row["psnr"] is not None else "∞ (exact)", _number(row["ssim"]),
              _number(row["ms_ssim"])] for row in rows]
    return _table(["codec", "quality", "cipher suite", "container bytes", "bpp", "PSNR (dB)", "SSIM", "MS-SSIM"],
                  table, numeric={3, 4, 5, 6, 7}) + _note("bpp counts the whole container (header and tags); "
                                                           "quality is measured on the decrypted image.")


def _statistics(statistics: dict) -> str:
    plain, cipher = statistics["plain"], statistics["cipher"]
    local = cipher["local_entropy"]
    rows = [["entropy (bits)", _number(plain["entropy"], 5), _number(cipher["entropy"], 5),
             f"ideal ≈ {cipher['entropy_expected']:.5f}", _badge("info")],
            ["local entropy (30 blocks of 44 x 44)", _number(plain["local_entropy"]["value"], 5),
             _number(local["value"], 5), f"[{local['low']:.5f}, {local['high']:.5f}]",
             _badge("pass" if local["passed"] else "fail")],
            ["histogram χ² (255 dof)", _number(plain["histogram"]["statistic"], 1),
             _number(cipher["histogram"]["statistic"], 2), f"< {cipher['histogram']['critical']:.2f}",
             _badge("pass" if cipher["histogram"]["passed"] else "fail")]]
    for direction, values in cipher["correlation"].items():
        rows.append([f"{direction} correlation, all {values['pairs']} pairs",
                     _number(plain["correlation"][direction]["all_pairs"], 5), _number(values["all_pairs"], 5),
                     f"|r| < {values['critical']:.5f}",
                     _badge("pass" if abs(values["all_pairs"]) < values["critical"] else "fail")])
        rows.append([f"{direction} correlation, {values['sampled_pairs']} random pairs",
                     _number(plain["correlation"][direction]["sampled"], 5), _number(values["sampled"], 5),
                     f"|r| < {values['sampled_critical']:.5f}", _badge("info")])
    return _table(["statistic", "plain image", "cipher image", "ideal cipher", "cipher result"], rows,
                  numeric={1, 2})


def _differential(differential: dict) -> str:
    rows = []
    for change in ("plaintext", "key"):
        result = differential[change]
        rows.append([f"one {'sample ±1' if change == 'plaintext' else 'key bit'} changed", str(result["trials"]),
                     _number(result["npcr_mean"]), _number(result["uaci_mean"]),
                     _rate(result["npcr_pass_rate"]), _rate(result["uaci_pass_rate"]),
                     f"{result['both_passed']}/{result['trials']}"])
    first = differential["plaintext"]
    low, high = first["uaci_interval"]
    return (_note(f"Each trial encrypts both images of its pair with the same nonce (held fixed within the "
                  f"pair) and draws a fresh nonce, so that trials are independent. Critical values "
                  f"(Wu, Noonan & Agaian 2011) for {first['samples']} samples at α = {first['alpha']}: NPCR ≥ "
                  f"{first['npcr_critical']:.4f} %, UACI in [{low:.4f} %, {high:.4f} %]; ideal means "
                  f"{first['npcr_expected']:.4f} % and {first['uaci_expected']:.4f} %.")
            + _table(["experiment", "trials", "mean NPCR (%)", "mean UACI (%)", "NPCR pass rate", "UACI pass rate",
                      "both passed"], rows, numeric={1, 2, 3}))


def _rate(rate: dict) -> str:
    status = {"consistent": "pass", "low": "fail", "suspicious": "suspicious"}[rate["verdict"]]
    return (f"{rate['passes']}/{rate['trials']} ({100 * rate['rate']:.1f} %) {_badge(status)}"
            f"<br><small>P(≤) = {rate['p_low']:.3g}, P(≥) = {rate['p_high']:.3g}</small>")


def _wrong_key(wrong_key: dict) -> str:
    raw = _table(["trials", "mean NPCR vs original (%)", "mean UACI vs original (%)", "UACI of this image vs noise",
                  "mean SSIM vs original"],
                 [[str(wrong_key["trials"]), _number(wrong_key["npcr_mean"]), _number(wrong_key["uaci_mean"]),
                   _number(wrong_key["uaci_random"]), _number(wrong_key["ssim_mean"])]], numeric={0, 1, 2, 3, 4})
    pipeline = _table(["suite", "decryption with a one-bit-wrong key"],
                      [[_text(suite), _badge("pass" if outcome["refused"] else "fail") + " " +
                        _text(f"refused: {outcome['error']}" if outcome["refused"] else "NOT refused")]
                       for suite, outcome in wrong_key["pipeline"].items()])
    return (_note("Raw ChaosCipher, same nonce: the image decrypted with a key one bit off, against the original "
                  "(noise gives NPCR ≈ 99.61 %, SSIM ≈ 0).") + raw
            + _note("Full pipeline (securecomp.encrypt, then securecomp.decrypt with the wrong key):") + pipeline)


def _throughput(throughput: dict, compression: list[dict]) -> str:
    rows = [["ChaosCipher (raw samples)", _number(throughput["chaos_mb_per_s"], 1)],
            ["AES-256-GCM (one call, same bytes)", _number(throughput["aes_gcm_mb_per_s"], 1)]]
    for row in compression:
        label = f"securecomp.encrypt / decrypt ({row['codec']}, {row['cipher']})"
        rows.append([_text(label), f"{row['encrypt_mb_per_s']:.1f} / {row['decrypt_mb_per_s']:.1f}"])
    return _table(["operation", "MB/s of pixel data"], rows, numeric={1})


def _nist(nist: dict | None) -> str:
    if not nist:
        return _note("Not run (--nist-sequences 0).")
    rows = []
    for test in nist["tests"]:
        status = {True: "pass", False: "fail", None: "skipped"}[test["passed"]]
        applied = [row for row in test["rows"] if row["applied"]]
        lowest = min((row["proportion"] for row in applied), default=None)
        uniform = [row["uniformity"] for row in applied if row["uniformity"] is not None]
        rows.append([_text(test["title"]), str(len(test["rows"])), _number(lowest, 3),
                     _number(min(uniform), 4) if uniform else "— (needs 55 sequences)",
                     f"{test['failing_rows']} (≤ {test['allowed_failures']})",
                     _badge(status) + " " + _text(test["skipped"])])
    low, high = _interval(nist)
    return (_note(f"{nist['source']}: {nist['sequences']} sequences of {nist['sequence_length']} bits, α = "
                  f"{nist['alpha']}; proportion of passing sequences must lie in [{low:.4f}, {high:.4f}].")
            + _table(["test", "P-values per sequence", "lowest proportion", "lowest uniformity P",
                      "failing rows (chance allows)", "result"], rows, numeric={1, 2, 3}))


def _interval(nist: dict) -> tuple[float, float]:
    for test in nist["tests"]:
        for row in test["rows"]:
            if row["applied"] == nist["sequences"]:
                return tuple(row["interval"])
    return (float("nan"), float("nan"))


def _checks(checks: list[dict]) -> str:
    rows = [[_text(check["image"]), _text(check["check"]), _badge(check["status"]), _text(check["detail"])]
            for check in checks]
    return "<h2>All checks</h2>" + _table(["image", "check", "result", "detail"], rows)


def _methods(data: dict) -> str:
    settings = data["settings"]
    items = [
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
    listing = "".join(f"<li>{_text(item)}</li>" for item in items)
    return f"<h2>Methods</h2><ul>{listing}</ul><p class=\"meta\">Report took {data.get('seconds', 0):.1f} s.</p>"
