"""A plain-language verdict over a report's numbers, which never claims more than the tests show.

Three kinds of check, judged differently:

* single-image tests at level α (local entropy, histogram χ², three correlations): an ideal cipher
  fails each one in a share α of images, so failures count as a finding only when there are more
  of them than chance explains (binomial, 1 %);
* pass rates over many trials (NPCR, UACI, wrong-key NPCR): judged by :mod:`.passrate`, in both
  directions;
* the full pipeline must refuse a wrong key, and every NIST test must stay within its rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scipy.stats import binom

from .passrate import pass_rate

__all__ = ["verdict", "image_checks", "CAVEAT"]

CHANCE_LEVEL = 0.01
CAVEAT = ("These are statistical checks, not proofs of security: a cipher can pass every one of them and still "
          "be broken, for instance by a chosen-plaintext attack, and ChaosCipher has had no public "
          "cryptanalysis. In securecomp, confidentiality and integrity rest on AES-256-GCM and its "
          "authentication tag (suites aes and chaos+aes); the chaotic layer is there for research.")


def image_checks(image: dict, *, alpha: float) -> list[dict]:
    """Every judged check of one image: ``{"check", "kind", "status", "detail"}``."""
    checks = _single_image_checks(image["statistics"]["cipher"], alpha)
    for change in ("plaintext", "key"):
        result = image["differential"][change]
        for statistic in ("npcr", "uaci"):
            rate = result[f"{statistic}_pass_rate"]
            checks.append(_rate_check(f"{change} sensitivity: {statistic.upper()} pass rate", rate))
    checks.append(_wrong_key_check(image["wrong_key"]))
    checks.extend(_pipeline_checks(image["wrong_key"]["pipeline"]))
    checks.extend(_nist_checks(image.get("nist")))
    return checks


def _single_image_checks(statistics: dict, alpha: float) -> list[dict]:
    local, histogram = statistics["local_entropy"], statistics["histogram"]
    checks = [_single("local entropy", local["passed"], f"{local['value']:.6f}, interval "
                      f"[{local['low']:.6f}, {local['high']:.6f}]", alpha),
              _single("histogram χ²", histogram["passed"], f"{histogram['statistic']:.2f} "
                      f"(critical {histogram['critical']:.2f})", alpha)]
    for direction, values in statistics["correlation"].items():
        inside = abs(values["all_pairs"]) < values["critical"]
        checks.append(_single(f"{direction} correlation", inside, f"{values['all_pairs']:+.5f} "
                              f"(|r| < {values['critical']:.5f})", alpha))
    return checks


def _single(name: str, passed: bool, detail: str, alpha: float) -> dict:
    return {"check": name, "kind": "single", "status": "pass" if passed else "fail", "alpha": alpha,
            "detail": detail}


def _rate_check(name: str, rate: dict) -> dict:
    status = {"consistent": "pass", "low": "fail", "suspicious": "suspicious"}[rate["verdict"]]
    detail = f"{rate['passes']}/{rate['trials']} passed; ideal {100 * rate['ideal']:.1f} %"
    return {"check": name, "kind": "rate", "status": status, "detail": detail}


def _wrong_key_check(wrong_key: dict) -> dict:
    passes = sum(value >= wrong_key["npcr_critical"] for value in wrong_key["npcr"])
    rate = pass_rate(passes, wrong_key["trials"], ideal=0.95).as_dict()
    check = _rate_check("wrong-key decryption looks like noise (NPCR vs original)", rate)
    check["detail"] += f"; mean SSIM {wrong_key['ssim_mean']:.4f}"
    return check


def _pipeline_checks(pipeline: dict) -> list[dict]:
    return [{"check": f"securecomp.decrypt refuses a one-bit-wrong key ({suite})", "kind": "pipeline",
             "status": "pass" if outcome["refused"] else "fail",
             "detail": f"raised {outcome['error']}" if outcome["refused"] else "returned an image"}
            for suite, outcome in pipeline.items()]


def _nist_checks(nist: dict | None) -> list[dict]:
    if not nist:
        return []
    checks = []
    for test in nist["tests"]:
        status = {True: "pass", False: "fail", None: "skipped"}[test["passed"]]
        detail = test["skipped"] or (f"{test['failing_rows']} of {len(test['rows'])} rows outside the rules "
                                     f"(chance allows {test['allowed_failures']})")
        checks.append({"check": f"NIST {test['title']}", "kind": "nist", "status": status, "detail": detail})
    return checks


def verdict(data: Mapping[str, Any]) -> dict:
    """``{"status": "no findings" | "findings", "headline", "paragraphs", "findings", "checks"}``."""
    alpha = data["settings"]["alpha"]
    checks = [{**check, "image": image["name"]}
              for image in data["images"] for check in image_checks(image, alpha=alpha)]
    findings = _findings(checks, alpha)
    images, trials = len(data["images"]), data["settings"]["trials"]
    if findings:
        headline = f"{len(findings)} finding{'s' if len(findings) > 1 else ''} in ChaosCipher's output"
        summary = ("A finding means the output differs from random data in that respect (or, for a pass rate "
                   "that is too high, that the measurement does not behave as its test assumes). It calls for "
                   "investigation; it is not by itself an attack.")
    else:
        headline = "No statistical weakness found in ChaosCipher's output"
        summary = (f"On {images} image{'s' if images > 1 else ''}, the cipher images behaved like random data: "
                   f"NPCR and UACI pass rates over {trials} trials per experiment (nonce held fixed) are "
                   f"consistent with an ideal cipher, {_single_summary(checks, alpha)}, and the full pipeline "
                   f"refused every decryption with a wrong key.")
    return {"status": "findings" if findings else "no findings", "headline": headline,
            "paragraphs": [summary, CAVEAT], "findings": findings, "checks": checks}


def _findings(checks: list[dict], alpha: float) -> list[str]:
    findings = [f"{check['image']}: {check['check']}: {check['detail']}" for check in checks
                if check["kind"] != "single" and check["status"] in ("fail", "suspicious")]
    single = [check for check in checks if check["kind"] == "single"]
    failed = [check for check in single if check["status"] == "fail"]
    allowed = int(binom.ppf(1 - CHANCE_LEVEL, len(single), alpha)) if single else 0
    if len(failed) > allowed:
        names = "; ".join(f"{check['image']}: {check['check']}" for check in failed)
        findings.append(f"{len(failed)} of {len(single)} single-image tests failed, more than the {allowed} "
                        f"chance explains at α = {alpha}: {names}")
    return findings


def _single_summary(checks: list[dict], alpha: float) -> str:
    single = [check for check in checks if check["kind"] == "single"]
    failed = sum(check["status"] == "fail" for check in single)
    if not failed:
        return f"all {len(single)} single-image tests passed"
    return (f"{failed} of {len(single)} single-image tests failed, no more than chance explains at α = {alpha} "
            f"(an ideal cipher fails each in {100 * alpha:.0f} % of images)")
