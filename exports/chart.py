"""The course chart: daily upright and lying scores, treatments and flags, and
under it, on the same days with the same treatment marks, the hours upright a
day from the day logs (bed-rest days marked).

matplotlib's object API with the Agg canvas (no pyplot, no global figure
state), so charts can be drawn in a worker without a display.
"""

import io
import math
import re
from datetime import date, timedelta

from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from exports.data import BED_REST_DAY_HOURS, ExportData
from exports.summary import DayScores

UPRIGHT_COLOUR = "#c0392b"
LYING_COLOUR = "#2e6da4"
TREATMENT_COLOUR = "#555555"
FLAG_STYLE = {  # marker, colour, legend label
    "relapse": ("v", "#d35400", "Relapse flag"),
    "no_response": ("X", "#8e44ad", "No-response flag"),
    "rebound_pattern": ("D", "#16a085", "Rebound-pattern flag"),
}
SHORT_KIND = {
    "epidural_blood_patch": "EBP",
    "fibrin_glue": "Fibrin glue",
    "platelet_lysate": "Platelet lysate",
    "surgical_repair": "Surgery",
    "other": "Other",
}
FLAG_ROW_Y = 10.9  # flags sit in a band above the 0-10 scale
HOURS_COLOUR = "#27ae60"
BED_REST_COLOUR = "#7f8c8d"
# The hours panel's share of the figure's height.
PANEL_RATIO = (3.0, 1.15)
ASPECT = 0.56  # height / width of the whole figure (was 0.42 for the scores alone)


def _series(scores: dict[date, float], first: date, last: date) -> tuple[list, list]:
    """Every day of the range, NaN where nothing was logged: gaps show as gaps."""
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return days, [scores.get(day, math.nan) for day in days]


def course_chart_png(
    data: ExportData, scores: DayScores, *, width_in: float = 10.0, dpi: int = 170
) -> bytes:
    """The chart for the PDF."""
    figure = _course_figure(data, scores, width_in=width_in, dpi=dpi)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def course_chart_svg(data: ExportData, scores: DayScores, *, width_in: float = 10.0) -> str:
    """The same figure for the screen (clinic pages), as inline SVG markup."""
    figure = _course_figure(data, scores, width_in=width_in, dpi=72)
    buffer = io.StringIO()
    # Text stays text (selectable, scales crisply); no metadata date, so the same
    # diary always gives the same markup.
    with rc_context({"svg.fonttype": "none", "svg.hashsalt": "course-chart"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    markup = buffer.getvalue()
    return markup[markup.index("<svg") :]  # inline: no XML prolog or DOCTYPE


def _course_figure(data: ExportData, scores: DayScores, *, width_in: float, dpi: int) -> Figure:
    first, last = data.first_day(), data.last_day()
    figure = Figure(figsize=(width_in, width_in * ASPECT), dpi=dpi, layout="constrained")
    FigureCanvasAgg(figure)
    if first is None or last is None:
        axes = figure.add_subplot()
        axes.text(0.5, 0.5, "No entries in this period", ha="center", transform=axes.transAxes)
        axes.set_axis_off()
        return figure
    axes, hours = figure.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": PANEL_RATIO})
    _scores_axes(axes, data, scores, first, last)
    _hours_axes(hours, data, first, last)
    return figure


def _treatment_lines(axes, data: ExportData) -> None:
    for treatment in data.treatments:
        day = data.local(treatment.performed_at).date()
        axes.axvline(day, color=TREATMENT_COLOUR, linestyle="--", linewidth=1)


def _hours_axes(axes, data: ExportData, first: date, last: date) -> None:
    """Hours upright a day (day logs), bed-rest days in grey; the same days and
    treatment lines as the scores above."""
    days, upright = _series(data.upright_hours(), first, last)
    bed_rest = set(data.bed_rest_days())
    colours = [BED_REST_COLOUR if day in bed_rest else HOURS_COLOUR for day in days]
    width = 0.8 if len(days) <= 120 else 1.0
    axes.bar(days, upright, width=width, color=colours, linewidth=0)
    _treatment_lines(axes, data)
    if not data.day_logs:
        axes.text(
            0.5, 0.5, "No day logs in this period", ha="center", va="center",
            transform=axes.transAxes, fontsize=8, color=TREATMENT_COLOUR,
        )  # fmt: skip
    axes.set_ylim(0, 16.5)
    axes.set_yticks(range(0, 17, 4))
    axes.set_ylabel("Hours upright")
    axes.grid(axis="y", color="#eeeeee")
    axes.spines[["top", "right"]].set_visible(False)
    handles = [
        Patch(color=HOURS_COLOUR, label="Hours upright a day (day log)"),
        Patch(color=BED_REST_COLOUR, label=f"Bed-rest day ({BED_REST_DAY_HOURS} h or more in bed)"),
    ]
    axes.legend(
        handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2, fontsize=8,
        frameon=False,
    )  # fmt: skip


def _scores_axes(axes, data: ExportData, scores: DayScores, first: date, last: date) -> None:
    days, upright = _series(scores.upright, first, last)
    _, lying = _series(scores.lying, first, last)
    dense = len(days) > 120
    style = {"linewidth": 1.1 if dense else 1.6, "markersize": 0 if dense else 3, "marker": "o"}
    axes.plot(days, upright, color=UPRIGHT_COLOUR, label="Upright (sitting/standing)", **style)
    axes.plot(days, lying, color=LYING_COLOUR, label="Lying", **style)

    _treatment_lines(axes, data)
    for treatment in data.treatments:
        day = data.local(treatment.performed_at).date()
        label = " ".join(
            part
            for part in (
                SHORT_KIND.get(treatment.kind, treatment.kind),
                treatment.approach or "",
                "+".join(treatment.levels),
            )
            if part
        )
        axes.annotate(
            label,
            xy=(day, 9.9),
            xytext=(3, 0),
            textcoords="offset points",
            fontsize=7.5,
            color=TREATMENT_COLOUR,
            va="top",
            ha="left",
            bbox={"boxstyle": "square,pad=0.15", "facecolor": "white", "edgecolor": "none",
                  "alpha": 0.85},
        )  # fmt: skip

    for kind, (marker, colour, legend) in FLAG_STYLE.items():
        flag_days = [data.local(f.proven_at).date() for f in data.flags if f.kind == kind]
        if flag_days:
            axes.scatter(
                flag_days,
                [FLAG_ROW_Y] * len(flag_days),
                marker=marker,
                color=colour,
                s=46,
                zorder=5,
                label=legend,
                clip_on=False,
            )

    # In date numbers: a date minus half a day is the same date, and a one-day diary
    # would get a zero-width axis.
    axes.set_xlim(date2num(first) - 0.5, date2num(last) + 0.5)
    axes.set_ylim(-0.3, 11.5)
    axes.set_yticks(range(0, 11, 2))
    axes.set_ylabel("Headache, daily median (0-10)")
    axes.axhline(10.45, color="#dddddd", linewidth=0.8)
    locator = AutoDateLocator(minticks=4, maxticks=12)
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    axes.grid(axis="y", color="#eeeeee")
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(labelbottom=True)  # shared x: the dates under the scores too
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=5, fontsize=8, frameon=False)


# --- The clinic's outcomes (issue 16): relapse-free curves in the same style ----------

CURVE_COLOURS = ("#c0392b", "#2e6da4", "#16a085", "#8e44ad", "#d35400", "#555555")


def relapse_free_chart_svg(
    curves: list[tuple[str, list[tuple[int, float]]]], *, width_in: float = 8.5, title: str = ""
) -> str:
    """Kaplan-Meier relapse-free curves, one step line per group: (label, [(day, survival)])."""
    figure = Figure(figsize=(width_in, width_in * 0.42), dpi=72, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    drawn = [(label, points) for label, points in curves if points]
    if not drawn:
        axes.text(0.5, 0.5, "No improved treatments in this period", ha="center",
                  transform=axes.transAxes)  # fmt: skip
        axes.set_axis_off()
    for n, (label, points) in enumerate(drawn):
        days = [day for day, _ in points]
        survival = [100 * s for _, s in points]
        axes.step(days, survival, where="post", linewidth=1.6,
                  color=CURVE_COLOURS[n % len(CURVE_COLOURS)], label=label)  # fmt: skip
    if drawn:
        axes.set_ylim(-2, 102)
        axes.set_xlim(left=0)
        axes.set_ylabel("Relapse-free (%)")
        axes.set_xlabel("Days since the treatment")
        axes.grid(axis="y", color="#eeeeee")
        axes.spines[["top", "right"]].set_visible(False)
        axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=4, fontsize=8,
                    frameon=False)  # fmt: skip
    if title:
        axes.set_title(title, fontsize=10)
    buffer = io.StringIO()
    with rc_context({"svg.fonttype": "none", "svg.hashsalt": "relapse-free"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    markup = buffer.getvalue()
    return without_inline_styles(markup[markup.index("<svg") :])


# SVG properties that are also presentation attributes: the only ones matplotlib writes.
_PRESENTATION = frozenset(
    {
        "clip-path", "fill", "fill-opacity", "font-family", "font-size", "font-style",
        "font-weight", "opacity", "stroke", "stroke-dasharray", "stroke-dashoffset",
        "stroke-linecap", "stroke-linejoin", "stroke-miterlimit", "stroke-opacity",
        "stroke-width", "text-anchor",
    }
)  # fmt: skip
_STYLE_ATTRIBUTE = re.compile(r'style="([^"]*)"')
_STYLE_ELEMENT = re.compile(r"<style[^>]*>.*?</style>", re.DOTALL)


def without_inline_styles(markup: str) -> str:
    """matplotlib's `style="..."` as presentation attributes, its `<style>` element dropped.

    The pages' Content-Security-Policy (`style-src 'self'`) refuses inline styles, which
    would leave every line of the chart unstroked; presentation attributes are not styles.
    """

    def attributes(match: re.Match) -> str:
        pairs = [part.split(":", 1) for part in match[1].split(";") if part.strip()]
        if any(len(pair) != 2 or pair[0].strip() not in _PRESENTATION for pair in pairs):
            return match[0]  # something else: left as it was
        return " ".join(f'{name.strip()}="{value.strip()}"' for name, value in pairs)

    return _STYLE_ATTRIBUTE.sub(attributes, _STYLE_ELEMENT.sub("", markup))
