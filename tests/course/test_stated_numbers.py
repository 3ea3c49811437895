"""Every figure the course states about its data and its models is recomputed here, so that a wrong one fails.

The scan reads the prose the course publishes: the markdown cells of the source notebooks, README.md and
docs/**/*.md. A *figure* is a number in a sentence about the data or the models (one that names the MAE, a
loss, a gradient, an accuracy, ReLUs, the quadratic or a pass mark). Each figure must be explained by one
of the CLAIMS below, which recomputes it from the reference solution and the course's data, or by one of the
NOT_FIGURES (a setting such as ``lr=0.01``, a formatting example): a figure nothing explains fails, so a new
sentence cannot state a number unchecked.

A claim is checked in one of three ways: it equals the recomputed value at the decimals it is written with;
it is the pass mark, and so equals ``FIT_BELOW``; or it is the best a search can reach (a best fit), and
then a stored fit must reach it (it is not too low) and a small search must not find clearly better (it is
not too high).
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
from ipywidgets import interactive

import solutions.week3 as ref
from autograder import notebooks
from solutions.week3_checks.task2_relu import FIT_BELOW
from tests.helpers import ROOT, SOURCE

NUMBER = re.compile(r"(?<![\w.\[])-?(?:\d+\.\d+|\d{1,3}(?:,\d{3})+)(?![\d,]*\d|\.\d)")
"""A decimal (1.48, -0.03) or a count with thousands separators (1,797); not versions (2.14.1), not ids."""
TOPIC = re.compile(r"\bMAE\b|\bloss|gradient|\.grad\b|accura|pass mark|threshold|ReLU|quadratic|digits|pictures")
"""A sentence that names one of these states figures about the data or the models."""
SEARCH_SLACK = 0.005
"""A search result this far under a stated best (half a unit of its second decimal) proves the best wrong."""


def prose_files() -> list[Path]:
    """The source notebooks, README.md and any docs/**/*.md (another page is scanned as soon as it exists)."""
    docs = sorted((ROOT / "docs").rglob("*.md")) if (ROOT / "docs").is_dir() else []
    return [*sorted(SOURCE.glob("*.ipynb")), ROOT / "README.md", *[p for p in docs if "_build" not in p.parts]]


def prose(path: Path) -> str:
    if path.suffix == ".ipynb":
        return "\n\n".join(c.source for c in notebooks.read(path).cells if c.cell_type == "markdown")
    return path.read_text()


def sentences(text: str) -> Iterator[str]:
    """The sentences of markdown text: paragraphs joined into lines, table rows and list items apart."""
    text = re.sub(r"\*\*|__|\$", "", text)
    lines: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        new_item = not line or line.startswith(("|", "#", "```")) or re.match(r"([-*]|\d+\.)\s", line)
        if lines and not new_item and not lines[-1].startswith(("|", "#", "```")):
            lines[-1] += " " + line
        elif line:
            lines.append(line)
    for line in lines:
        yield from re.split(r"(?<=[.!?])\s+(?=[A-Z(`*])", line)


# --- what the figures are, recomputed -------------------------------------------------------------------


def relu_mae(params: list[float]) -> float:
    return float(ref.mae(ref.triple_relu(*torch.tensor(params, dtype=torch.float64), ref.x), ref.y))


@functools.cache
def slider_ranges() -> tuple[tuple[float, float, float], ...]:
    """(min, max, step) of each of plot_triple_relu's sliders, from its @interact line in Task 2's notebook."""
    cells = [c.source for c in notebooks.read(SOURCE / "task2_relu.ipynb").cells if c.cell_type == "code"]
    source = next(s for s in cells if re.search(r"^def plot_triple_relu\(", s, re.M))
    call = next(d for d in ast.parse(source).body[0].decorator_list if isinstance(d, ast.Call))
    defaults = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
    sliders = [interactive.widget_from_abbrev(value) for value in defaults.values()]
    return tuple((s.min, s.max, s.step) for s in sliders)


BEST_FIT = [-20.0022, -34.6702, -5.2951, -4.0554, 6.1013, -0.3875]
"""Three ReLUs at MAE 0.8033: linear programming over every placement of the three kinks (a grid, then each of
the best refined), the global best to the fourth decimal. Adam from 400 random starts reaches 0.822, and the
search below (32 starts, 3000 steps) 0.809."""
BEST_SLIDER_FIT = [-4.5, -1.7, 4.1, 0.8, 2.2, -1.5]
"""The best fit on the sliders' own steps (MAE 1.1429); Adam kept inside the ranges from 400 starts: 1.1408, as
does the search below (32 starts, 1500 steps)."""


def adam_search(starts: int, steps: int, seed: int, box: tuple[torch.Tensor, torch.Tensor] | None = None) -> float:
    """The lowest MAE of three ReLUs that Adam reaches from random starts, each kept inside `box` if given."""
    gen = torch.Generator().manual_seed(seed)
    xs, ys = ref.x.double().ravel(), ref.y.double().ravel()
    if box is None:
        params = torch.randn(starts, 6, generator=gen, dtype=torch.float64) * 2
    else:
        params = box[0] + (box[1] - box[0]) * torch.rand(starts, 6, generator=gen, dtype=torch.float64)
    params.requires_grad_()
    opt = torch.optim.Adam([params], lr=0.05)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)

    def losses() -> torch.Tensor:
        slopes, intercepts = params[:, 0::2, None], params[:, 1::2, None]
        return (torch.clip(slopes * xs + intercepts, 0).sum(dim=1) - ys).abs().mean(dim=1)

    for _ in range(steps):
        opt.zero_grad()
        losses().sum().backward()
        opt.step()
        schedule.step()
        if box is not None:
            with torch.no_grad():
                params.copy_(params.clamp(box[0], box[1]))
    with torch.no_grad():
        return float(losses().min())


@functools.cache
def searched_best() -> float:
    return adam_search(starts=32, steps=3000, seed=0)


@functools.cache
def searched_slider_best() -> float:
    lo, hi = (torch.tensor(bound, dtype=torch.float64) for bound in zip(*[r[:2] for r in slider_ranges()], strict=True))
    return adam_search(starts=32, steps=1500, seed=1, box=(lo, hi))


def accumulating_losses() -> list[float]:
    """The notebook of the week's printed losses: one step by hand, then ten steps that never zero the grad."""
    abc = torch.tensor([1.1, 1.1, 1.1], requires_grad=True)
    ref.quad_mae(abc).backward()
    with torch.no_grad():
        abc -= abc.grad * 0.01
    printed = []
    for _ in range(10):
        loss = ref.quad_mae(abc)
        loss.backward()
        with torch.no_grad():
            abc -= abc.grad * 0.01
        printed.append(loss.item())
    return printed


def zeroed_loss_after_ten_steps() -> float:
    abc = torch.tensor([1.1, 1.1, 1.1], requires_grad=True)
    ref.gradient_descent(ref.quad_mae, abc)
    return ref.quad_mae(abc).item()


def digits_count() -> float:
    from sklearn.datasets import load_digits

    return float(len(load_digits().target))


def training_count() -> float:
    """Task 3 keeps a quarter of the digits for validation (train_test_split rounds the quarter up)."""
    return digits_count() - -(-digits_count() * 0.25 // 1)


# --- the claims ------------------------------------------------------------------------------------------

N = r"(?P<n>-?\d+\.\d+)"
COUNT = r"(?P<n>\d{1,3}(?:,\d{3})+)"


@dataclass(frozen=True)
class Claim:
    """A kind of figure the course states, the phrasings it is stated in, and its true value."""

    name: str
    """What the figure is."""
    patterns: tuple[str, ...]
    """Regular expressions whose group ``n`` is the figure, each matched within one sentence."""
    value: Callable[[], float]
    """The figure recomputed (for a best fit: the MAE of a stored fit that reaches it)."""
    search: Callable[[], float] | None = None
    """For a best fit: a small search's best, which must not be clearly better than the stated figure."""
    example: str = ""
    """A sentence that states the figure correctly (the claim's own test changes its number)."""
    about: bool = False
    """Stated as "about": the stated figure may be off by one unit of its last decimal."""
    in_notebooks: bool = True
    """The notebooks state it (else only the docs may, and the claim stands ready for them)."""


def threshold() -> float:
    return FIT_BELOW


def true_quadratic_mae() -> float:
    return ref.mae(ref.f(ref.x), ref.y).item()


CLAIMS = [
    Claim("the pass mark of Task 2c's fit (FIT_BELOW)", (rf"MAE (?:is )?below {N}", rf"a fit passes below {N}"),
          threshold, example="Your fit passes when its MAE is below 1.5."),
    Claim("the MAE of the true quadratic on the data",
          (rf"true quadratic[^.]*?\((?:MAE )?{N}", rf"true quadratic, {N}"), true_quadratic_mae,
          example="the MAE of the true quadratic 3x^2 + 2x + 1 on these noisy points (1.48)"),
    Claim("the best MAE of three ReLUs within the sliders' ranges", (rf"within them reach an MAE of {N}",),
          lambda: relu_mae(BEST_SLIDER_FIT), searched_slider_best,
          example="the best three ReLUs within them reach an MAE of 1.14."),
    Claim("the best MAE of three ReLUs", (rf"the best on this data is an MAE of {N}",
                                         rf"found three ReLUs (?:whose|with) MAE (?:on this data )?(?:is )?{N}"),
          lambda: relu_mae(BEST_FIT), searched_best,
          example="three ReLUs can do better still: the best on this data is an MAE of 0.80."),
    Claim("the MAE of the reference fit of Task 2c", (rf"reference fit[^.]*?MAE {N}",),
          lambda: relu_mae(list(ref.triple_relu_fit.values())),
          example="The reference fit, reachable with the default sliders, has MAE 1.16.", in_notebooks=False),
    Claim("the loss after ten steps of Task 1e's loop, which zeroes the gradient",
          (rf"after ten steps is about {N}", rf"loss {N} after ten steps"), zeroed_loss_after_ten_steps,
          example="with the reset, the loss after ten steps is about 2.21, not 1.46.", about=True),
    Claim("the last loss the notebook of the week's loop prints (it never zeroes the gradient)",
          (rf"after ten steps is about -?\d+\.\d+, not {N}", rf"\d\.\d+ down to {N}"),
          lambda: accumulating_losses()[-1],
          example="with the reset, the loss after ten steps is about 2.21, not 1.46."),
    Claim("the first loss the notebook of the week's loop prints", (rf"losses \(?{N} down to",),
          lambda: accumulating_losses()[0], example="Its published losses (2.40 down to 1.46) depend on it.",
          in_notebooks=False),
    Claim("how many images load_digits holds", (rf"{COUNT} handwritten digits", rf"{COUNT} (?:images|pictures)"),
          digits_count, example="### The data: 1,797 handwritten digits"),
    Claim("how many images Task 3 trains on", (rf"from {COUNT} small pictures",), training_count,
          example="Every model here learned everything from 1,347 small pictures."),
]  # fmt: skip

NOT_FIGURES = {
    r"[\w)]\s?=\s?(?P<n>-?\d+\.\d+)": "a setting written as code (lr=0.01, a=1.1)",
    r"params\.grad\[\d\] is (?P<n>-?\d+\.\d+)": "the lab sheet's example sentences, illustrative by its own word",
    r"`(?P<n>-0\.0\d)` shows as `(?P<m>-0\.0)`": "an example of one-decimal formatting",
    r"ImageNet's (?P<n>\d+\.\d+) million": "the size of ImageNet, which the course does not use",
    r"`c\.[\w.]+` \((?P<n>-?\d+\.\d+)\)": "a configuration setting's default, named beside it",
}


@dataclass(frozen=True)
class Figure:
    """One number stated in a sentence of the course's prose."""

    where: str
    sentence: str
    start: int
    text: str

    @property
    def value(self) -> float:
        return float(self.text.replace(",", ""))

    @property
    def decimals(self) -> int:
        return len(self.text.partition(".")[2]) if "." in self.text else 0


def figures(where: str, text: str) -> Iterator[Figure]:
    for sentence in sentences(text):
        if TOPIC.search(sentence):
            for m in NUMBER.finditer(sentence):
                yield Figure(where, sentence, m.start(), m.group(0))


def spans(pattern: str, sentence: str) -> set[int]:
    return {
        m.start(g) for m in re.finditer(pattern, sentence) for g in ("n", "m") if g in m.re.groupindex and m.group(g)
    }


def explain(fig: Figure) -> Claim | str | None:
    """The claim that states `fig`, or why it is not a figure, or None when nothing explains it."""
    for claim in CLAIMS:
        if any(fig.start in spans(p, fig.sentence) for p in claim.patterns):
            return claim
    return next((why for p, why in NOT_FIGURES.items() if fig.start in spans(p, fig.sentence)), None)


def problems(claim: Claim, stated: float, decimals: int) -> list[str]:
    """Why the figure `stated`, written with `decimals` decimals, is wrong for `claim`; empty when it is right."""
    true = claim.value()
    unit = 10.0**-decimals
    found = []
    if claim.search is None and abs(true - stated) > (unit if claim.about else unit / 2) + 1e-9:
        found.append(f"{claim.name} is {true:.{decimals + 2}f}, not {stated}")
    if claim.search is not None:
        if abs(true - stated) > unit / 2 + 1e-9:
            found.append(f"the stored fit for {claim.name} has MAE {true:.4f}, which is not {stated}")
        if (searched := claim.search()) < stated - SEARCH_SLACK:
            found.append(f"a small search found MAE {searched:.4f}, clearly better than the stated best {stated}")
    return found


STATED = [fig for path in prose_files() for fig in figures(str(path.relative_to(ROOT)), prose(path))]


@pytest.mark.parametrize("path", prose_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_figure_is_explained_and_true(path: Path) -> None:
    wrong = []
    for fig in [f for f in STATED if f.where == str(path.relative_to(ROOT))]:
        match explain(fig):
            case None:
                wrong.append(f"{fig.text!r} is checked by no claim (add one to {Path(__file__).name}): {fig.sentence}")
            case Claim() as claim:
                wrong += [f"{fig.text!r}: {why}: {fig.sentence}" for why in problems(claim, fig.value, fig.decimals)]
    assert wrong == []


def test_every_claim_is_stated_somewhere_in_the_notebooks() -> None:
    """A claim that matches nothing has rotted: its phrasing changed and its figure went unchecked."""
    in_notebooks = [f for f in STATED if f.where.endswith(".ipynb")]
    stated = {c.name for f in in_notebooks if isinstance(c := explain(f), Claim)}
    assert [c.name for c in CLAIMS if c.in_notebooks and c.name not in stated] == []


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: c.name)
def test_each_claim_passes_its_example_and_fails_a_changed_number(claim: Claim) -> None:
    (fig,) = [f for f in figures("example", claim.example) if explain(f) is claim]
    assert problems(claim, fig.value, fig.decimals) == []
    changed = round(fig.value + (1 if fig.decimals == 0 else 3 * 10.0**-fig.decimals), max(fig.decimals, 0))
    assert problems(claim, changed, fig.decimals) != [], f"{claim.name}: {changed} passes too"
    if claim.search is not None:  # a best stated too high: the search alone must catch it
        assert any("small search" in why for why in problems(claim, fig.value + 0.05, fig.decimals))


def test_an_unexplained_figure_is_found() -> None:
    (fig,) = figures("example", "Three ReLUs reach an MAE of 0.42 with luck.")
    assert explain(fig) is None
    assert [f.text for f in figures("example", "Set lr=0.01 and the loss falls from 2.42.")] == ["0.01", "2.42"]


def test_the_pass_mark_holds_to_its_stated_reason() -> None:
    """Task 2c: about the MAE of the true quadratic, and reachable within the sliders' ranges with room to spare."""
    assert abs(FIT_BELOW - true_quadratic_mae()) < 0.05
    assert FIT_BELOW - relu_mae(BEST_SLIDER_FIT) > 0.3
    assert FIT_BELOW - searched_slider_best() > 0.3


def test_the_stored_best_fits_are_where_they_are_said_to_be() -> None:
    ranges = slider_ranges()
    assert len(ranges) == 6
    for value, (lo, hi, step) in zip(BEST_SLIDER_FIT, ranges, strict=True):
        assert lo <= value <= hi and abs(round((value - lo) / step) * step + lo - value) < 1e-9
    assert any(not lo <= value <= hi for value, (lo, hi, _) in zip(BEST_FIT, ranges, strict=True))
