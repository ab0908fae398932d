// My course: the patient's own chart (daily upright and lying scores, treatments
// marked) and their history of entries, from the records on this phone.
import { current, gettext, interpolate } from "./i18n.js";
import * as store from "./store.js";
import * as sync from "./sync.js";
import { h, s, fill } from "./ui.js";
import * as vocab from "./vocab.js";

const DAYS = 28;

function dayKey(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

function mean(values) {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
}

// Per local day of the phone: the mean upright and lying rating, and treatments.
export function dailyCourse(records, today = new Date()) {
  const days = [];
  for (let back = DAYS - 1; back >= 0; back--) {
    const day = new Date(today.getFullYear(), today.getMonth(), today.getDate() - back);
    days.push({ key: dayKey(day), date: day, upright: [], lying: [], patches: [] });
  }
  const byKey = Object.fromEntries(days.map((day) => [day.key, day]));
  for (const record of records) {
    if (record.type === "entry") {
      const day = byKey[dayKey(new Date(record.data.recorded_at))];
      if (day) day[record.data.posture === "lying" ? "lying" : "upright"].push(record.data.headache);
    } else if (record.type === "patch") {
      const day = byKey[dayKey(new Date(record.data.performed_at))];
      if (day) day.patches.push(record.data);
    }
  }
  return days.map((day) => ({ ...day, upright: mean(day.upright), lying: mean(day.lying) }));
}

function chart(days) {
  const width = 320;
  const height = 180;
  const left = 24;
  const top = 10;
  const bottom = 24;
  const plotW = width - left - 6;
  const plotH = height - top - bottom;
  const x = (i) => left + (i + 0.5) * (plotW / days.length);
  const y = (v) => top + plotH - (v / 10) * plotH;
  const line = (key, cls) => {
    const points = days.map((day, i) => (day[key] === null ? null : `${x(i).toFixed(1)},${y(day[key]).toFixed(1)}`));
    const segments = [];
    let run = [];
    for (const point of points) {
      if (point) run.push(point);
      else if (run.length) {
        segments.push(run);
        run = [];
      }
    }
    if (run.length) segments.push(run);
    return [
      ...segments.map((seg) => s("polyline", { class: cls, points: seg.join(" ") })),
      ...days.map((day, i) => (day[key] === null ? null : s("circle", { class: cls, cx: x(i).toFixed(1), cy: y(day[key]).toFixed(1), r: "2.5" }))),
    ];
  };
  const grid = [0, 5, 10].map((v) => [
    s("line", { class: "grid", x1: left, x2: width - 6, y1: y(v), y2: y(v) }),
    s("text", { class: "axis", x: left - 4, y: y(v) + 4, "text-anchor": "end" }, String(v)),
  ]);
  const marks = days.flatMap((day, i) =>
    day.patches.length ? [s("line", { class: "patch", x1: x(i), x2: x(i), y1: top, y2: top + plotH }), s("text", { class: "axis patch-label", x: x(i), y: height - 6, "text-anchor": "middle" }, "▲")] : []
  );
  const format = new Intl.DateTimeFormat(current, { day: "numeric", month: "short" });
  const dates = [0, days.length - 1].map((i) =>
    s("text", { class: "axis", x: x(i), y: height - 6, "text-anchor": i ? "end" : "start" }, format.format(days[i].date))
  );
  return s(
    "svg",
    { viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img", "aria-labelledby": "chart-title" },
    s("title", { id: "chart-title" }, gettext("Daily headache, upright and lying, over the last 4 weeks; treatments marked")),
    ...grid.flat(),
    ...marks,
    ...line("lying", "lying"),
    ...line("upright", "upright"),
    ...dates
  );
}

function table(days) {
  const format = new Intl.DateTimeFormat(current, { weekday: "short", day: "numeric", month: "short" });
  const number = (v) => (v === null ? "–" : v.toFixed(1));
  const rows = days.filter((day) => day.upright !== null || day.lying !== null || day.patches.length).reverse();
  return h(
    "details",
    { class: "more" },
    h("summary", {}, gettext("Show the numbers")),
    h("table", {},
      h("caption", { class: "visually-hidden" }, gettext("Daily mean headache")),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, gettext("Day")), h("th", { scope: "col" }, gettext("Upright")), h("th", { scope: "col" }, gettext("Lying")), h("th", { scope: "col" }, gettext("Treatment")))),
      h("tbody", {}, rows.map((day) => h("tr", {}, h("th", { scope: "row" }, format.format(day.date)), h("td", {}, number(day.upright)), h("td", {}, number(day.lying)), h("td", {}, day.patches.map((p) => vocab.kindLabel(p.kind)).join(", ")))))
    )
  );
}

export async function courseScreen(main, { navigate }) {
  const records = await store.all("records");
  const days = dailyCourse(records);
  fill(main, 
    h("h1", {}, gettext("My course")),
    h("ul", { class: "legend" },
      h("li", { class: "upright" }, gettext("Upright (sitting or standing)")),
      h("li", { class: "lying" }, gettext("Lying down")),
      h("li", { class: "patch" }, gettext("▲ Treatment"))),
    chart(days),
    table(days),
    h("p", { class: "notice" }, gettext("This chart shows what you logged. Patterns in it are prompts for your care team to review, not diagnoses.")),
    h("p", {},
      h("a", { href: "/app/history", class: "button", "data-route": "" }, gettext("History: edit or delete entries")),
      h("a", { href: "/app/treatment", class: "button", "data-route": "" }, gettext("Record a treatment")))
  );
  void navigate;
}

export function describeDay(d) {
  const parts = [interpolate(gettext("Day log %(date)s"), { date: new Intl.DateTimeFormat(current, { dateStyle: "medium" }).format(new Date(`${d.date}T12:00:00`)) })];
  if (d.upright_hours != null) parts.push(interpolate(gettext("%(hours)s h upright"), { hours: d.upright_hours }));
  if (d.bed_rest_hours != null) parts.push(interpolate(gettext("%(hours)s h bed rest"), { hours: d.bed_rest_hours }));
  if (d.fluids_l != null) parts.push(`${d.fluids_l} l`);
  if (d.caffeine_mg != null) parts.push(`${d.caffeine_mg} mg`);
  if ((d.medications || []).length) parts.push(d.medications.map((m) => Object.fromEntries(vocab.medications())[m.name] || m.name).join(", "));
  return parts.join(" · ");
}

function describe(record) {
  const d = record.data;
  if (record.type === "day_log") return describeDay(d);
  if (record.type === "impression") return interpolate(gettext("Change since the treatment: %(answer)s"), { answer: Object.fromEntries(vocab.pgic())[d.score] || d.score });
  if (record.type === "patch") {
    const parts = [vocab.kindLabel(d.kind), (d.levels || []).join(", "), d.volume_ml ? `${d.volume_ml} mL` : ""];
    return parts.filter(Boolean).join(" · ");
  }
  const parts = [interpolate(gettext("%(posture)s: headache %(rating)s of 10"), { posture: vocab.postureLabel(d.posture), rating: d.headache })];
  if (d.onset_minutes != null) parts.push(interpolate(gettext("started after %(minutes)s min"), { minutes: d.onset_minutes }));
  if (d.relief_minutes != null) parts.push(interpolate(gettext("eased after %(minutes)s min"), { minutes: d.relief_minutes }));
  return parts.join(" · ");
}

function when(record) {
  const d = record.data;
  return { patch: d.performed_at, day_log: `${d.date}T23:59:00`, impression: d.answered_at }[record.type] || d.recorded_at;
}

export async function historyScreen(main, { navigate, asking = () => false }) {
  const [records, outbox] = await Promise.all([store.all("records"), store.all("outbox")]);
  if (asking()) return; // a delete was asked for while the lists were read
  const pending = new Set(outbox.map((row) => row.id));
  records.sort((a, b) => (when(a) < when(b) ? 1 : -1));
  const format = new Intl.DateTimeFormat(current, { dateStyle: "medium", timeStyle: "short" });
  const item = (record) => {
    const actions = h("div", { class: "actions" });
    const screen = { patch: "treatment", day_log: "day", entry: "log" }[record.type];
    const edit = screen ? h("a", { class: "button", href: `/app/${screen}?id=${record.id}`, "data-route": "" }, gettext("Edit")) : "";
    const askDelete = h("button", { type: "button", class: "secondary", onclick: () => {
      actions.replaceChildren(
        h("span", { class: "confirm" }, gettext("Delete this for good?")),
        h("button", { type: "button", class: "danger", onclick: async () => { await sync.remove(record.type, record.id); historyScreen(main, { navigate }); main.querySelector("h1").focus(); } }, gettext("Yes, delete")),
        h("button", { type: "button", class: "secondary", onclick: () => { actions.replaceChildren(edit, askDelete); askDelete.focus(); } }, gettext("No, keep it"))
      );
      actions.querySelector(".danger").focus();
    } }, gettext("Delete"));
    actions.append(edit, askDelete);
    return h("li", { class: `record ${record.type}`, "data-id": record.id },
      h("p", { class: "when" }, format.format(new Date(when(record)))),
      h("p", { class: "what" }, describe(record)),
      record.data.note ? h("p", { class: "note" }, record.data.note) : null,
      pending.has(record.id) ? h("p", { class: "pending" }, gettext("Not sent yet")) : null,
      actions);
  };
  fill(main, 
    h("h1", { tabindex: "-1" }, gettext("History")),
    records.length ? h("ul", { class: "records" }, records.map(item)) : h("p", {}, gettext("Nothing logged yet."))
  );
}
