// The day log (upright hours, bed rest, fluids, caffeine, binder, medication)
// and the PGIC when a check-in asks for it. One day log per local day: the
// same day opens the same log again.
import { current, gettext, interpolate } from "./i18n.js";
import * as store from "./store.js";
import * as sync from "./sync.js";
import { announce, choice, field, formError, h, showErrors, withOffset, fill } from "./ui.js";
import * as vocab from "./vocab.js";

function today() {
  const now = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

const number = (value) => (value === "" ? null : Number(value));

export async function dayScreen(main, { id, navigate }) {
  const records = await store.all("records");
  const existing = id
    ? records.find((r) => r.id === id)
    : records.find((r) => r.type === "day_log" && r.data.date === today());
  const log = existing ? existing.data : null;
  const meds = Object.fromEntries((log?.medications || []).map((m) => [m.name, m]));
  const medication = h(
    "fieldset",
    { class: "checks" },
    h("legend", {}, gettext("Medicine taken today")),
    vocab.medications().map(([name, label]) =>
      h("div", { class: "medication" },
        h("div", { class: "check" },
          h("input", { type: "checkbox", name: "medication", id: `med-${name}`, value: name, checked: name in meds }),
          h("label", { for: `med-${name}` }, label)),
        field({ label: interpolate(gettext("Dose of %(medicine)s"), { medicine: label }), name: `dose-${name}`, value: meds[name]?.dose || "", hint: null, autocomplete: "off" }))
    )
  );
  const form = h(
    "form",
    { novalidate: true },
    formError(),
    field({ label: gettext("Day"), name: "date", type: "date", value: log?.date || today(), max: today(), required: true }),
    field({ label: gettext("Hours upright (sitting or standing)"), name: "upright_hours", type: "number", value: log?.upright_hours ?? "", inputmode: "decimal", min: "0", max: "24", step: "0.5" }),
    field({ label: gettext("Longest time upright at once, in minutes"), name: "longest_upright_minutes", type: "number", value: log?.longest_upright_minutes ?? "", inputmode: "numeric", min: "0", step: "1" }),
    field({ label: gettext("Hours of bed rest"), name: "bed_rest_hours", type: "number", value: log?.bed_rest_hours ?? "", inputmode: "decimal", min: "0", max: "24", step: "0.5" }),
    field({ label: gettext("Fluids in litres"), name: "fluids_l", type: "number", value: log?.fluids_l ?? "", inputmode: "decimal", min: "0", max: "20", step: "0.1" }),
    field({ label: gettext("Caffeine in mg"), name: "caffeine_mg", type: "number", value: log?.caffeine_mg ?? "", inputmode: "numeric", min: "0", step: "10", hint: gettext("A cup of coffee has about 100 mg.") }),
    choice({ name: "binder", legend: gettext("Abdominal binder worn?"), options: [["yes", gettext("Yes")], ["no", gettext("No")]], value: log?.binder === true ? "yes" : log?.binder === false ? "no" : "", className: "posture" }),
    medication,
    field({ label: gettext("Note"), name: "note", type: "textarea", value: log?.note || "", maxlength: 2000 }),
    h("button", { type: "submit", class: "primary" }, gettext("Save the day"))
  );
  for (const input of form.querySelectorAll("input[name=binder]")) input.required = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const values = form.elements;
    const upright = number(values.upright_hours.value);
    const bedRest = number(values.bed_rest_hours.value);
    if (upright !== null && bedRest !== null && upright + bedRest > 24) {
      showErrors(form, { message: gettext("Please check the marked fields."), fields: { bed_rest_hours: [gettext("Hours upright and in bed add up to more than a day.")] } });
      return;
    }
    const binder = form.querySelector("input[name=binder]:checked");
    const chosen = records.find((r) => r.type === "day_log" && r.data.date === values.date.value);
    const base = log && log.date === values.date.value ? log : chosen ? chosen.data : null;
    const data = {
      ...(base || {}),
      id: base ? base.id : sync.newId(),
      date: values.date.value,
      upright_hours: upright,
      longest_upright_minutes: number(values.longest_upright_minutes.value),
      bed_rest_hours: bedRest,
      fluids_l: number(values.fluids_l.value),
      caffeine_mg: number(values.caffeine_mg.value),
      binder: binder ? binder.value === "yes" : null,
      medications: [...form.querySelectorAll("input[name=medication]:checked")].map((input) => ({
        name: input.value,
        dose: values[`dose-${input.value}`].value.trim(),
        note: "",
      })),
      note: values.note.value.trim(),
    };
    for (const key of ["patient", "created_at", "updated_at", "version"]) delete data[key];
    await sync.save("day_log", data);
    announce(gettext("Saved on this phone. It goes to your clinic when you are online."));
    navigate("/app/history");
  });
  fill(main, h("h1", {}, gettext("My day")), h("p", { class: "hint" }, gettext("Fill in what you know; every field is optional.")), form);
}

export async function pgicScreen(main, { navigate }) {
  const params = new URLSearchParams(location.search);
  const treatment = await store.get("records", params.get("treatment") || "");
  const checkpoint = params.get("checkpoint") === "7d" ? "7d" : params.get("checkpoint") === "72h" ? "72h" : "other";
  const when = treatment ? new Intl.DateTimeFormat(current, { dateStyle: "medium" }).format(new Date(treatment.data.performed_at)) : "";
  const form = h(
    "form",
    { novalidate: true },
    formError(),
    choice({
      name: "score",
      legend: interpolate(gettext("Since your treatment on %(date)s, how has your condition changed overall?"), { date: when }),
      options: vocab.pgic(),
      className: "pgic",
    }),
    h("button", { type: "submit", class: "primary" }, gettext("Save the answer"))
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = form.querySelector("input[name=score]:checked");
    if (!chosen) {
      showErrors(form, { message: gettext("Choose one answer.") });
      return;
    }
    await sync.save("impression", {
      id: sync.newId(),
      treatment: treatment.id,
      answered_at: withOffset(new Date()),
      checkpoint,
      score: Number(chosen.value),
    });
    announce(gettext("Saved on this phone. It goes to your clinic when you are online."));
    navigate("/app/");
  });
  fill(main, 
    h("h1", {}, gettext("How are you since the treatment?")),
    treatment ? form : h("p", {}, gettext("This treatment is not on this phone yet. Send and fetch from Settings first."))
  );
}
