"""How a number was shown wrongly: the formatting slips students make, each a misconception any assignment names.

An assignment takes the texts into its own misconceptions
(``Misconceptions(**formats.TEXTS, ...)``), so that its catalogue and feedback
know the keys; :func:`misformatted` says which slip explains a number shown.
"""

from __future__ import annotations

import math

from autograder.checks.authoring import Misconception, Misconceptions, template

TEXTS: dict[str, str | tuple[str, bool]] = {
    "shows_tensor": "the number shown is a tensor (tensor(...)). Turn it into a Python number with float() or "
    ".item() before formatting it.",
    "wrong_decimals": template("the number was shown with {got} decimals. Show exactly {want} (format spec {spec})."),
    "all_digits": template("the number was shown with all its digits. Format it with {want} (format spec {spec})."),
    "significant_digits": template("the format .{d} keeps {d} significant digit(s), not {want}: use {spec}."),
    "sign_dropped": "the sign was dropped. Show the number itself (-1.3), not its size: the sign is the point.",
    "truncated": "the number was cut off instead of rounded: to one decimal, -0.96 shows as -1.0, not -0.9.",
}
FORMATS = Misconceptions(**TEXTS)


def number(text: str) -> float | None:
    """``text`` as a number (None if it is not one)."""
    try:
        return float(text)
    except ValueError:
        return None


def misformatted(value: float, shown: str, decimals: int) -> Misconception | None:
    """The slip that shows ``value`` as ``shown`` instead of with ``decimals`` decimal places (None: no known one)."""
    spec, shown = f".{decimals}f", shown.strip()
    want = f"{decimals} decimal place" + "s" * (decimals != 1)
    if shown.startswith("tensor("):
        return FORMATS.shows_tensor
    got = number(shown)
    if got is None or shown == f"{value:{spec}}":
        return None
    places = len(shown.partition(".")[2]) if "e" not in shown.lower() else 0
    if places in (decimals + 1, decimals + 2) and shown == f"{value:.{places}f}":
        return FORMATS.wrong_decimals.fill(got=places, want=want, spec=spec)
    close = places > decimals + 2 and abs(got - value) <= 1e-4 * max(1, abs(value))
    if shown in (str(value), repr(value)) or close:
        return FORMATS.all_digits.fill(want=want, spec=spec)
    if shown in (f"{value:.{decimals}}", f"{value:.{decimals}g}", f"{value:.{decimals}e}"):
        return FORMATS.significant_digits.fill(d=decimals, want=want, spec=spec)
    if value < 0 and shown == f"{-value:{spec}}":
        return FORMATS.sign_dropped
    cut = math.trunc(value * 10**decimals) / 10**decimals
    return FORMATS.truncated if shown in (f"{cut:{spec}}", str(cut)) else None
