// Log in seconds: posture, 0–10, then optional details. Works offline.
import { gettext, interpolate, current } from "./i18n.js";
import * as store from "./store.js";
import * as sync from "./sync.js";
import { announce, checkboxes, choice, field, formError, h, localInputValue, withOffset, fill } from "./ui.js";
import * as vocab from "./vocab.js";

function checked(form, name) {
  return [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((input) => input.value);
}

export async function logScreen(main, { id, navigate } = {}) {
  const record = id ? await store.get("records", id) : null;
  const entry = record ? record.data : null;
  const details = h(
    "details",
    { class: "more", open: Boolean(entry && (entry.symptoms?.length || entry.triggers?.length || entry.note)) },
    h("summary", {}, gettext("Symptoms, triggers and a note (optional)")),
    checkboxes({ name: "symptoms", legend: gettext("Symptoms"), options: vocab.symptoms(), values: entry?.symptoms || [] }),
    checkboxes({ name: "triggers", legend: gettext("What brought it on?"), options: vocab.triggers(), values: entry?.triggers || [] }),
    field({ label: gettext("Note"), name: "note", type: "textarea", value: entry?.note || "", maxlength: 2000 }),
    field({
      label: gettext("When"),
      name: "recorded_at",
      type: "datetime-local",
      value: localInputValue(entry ? new Date(entry.recorded_at) : new Date()),
      hint: gettext("Leave as it is for now."),
    })
  );
  const form = h(
    "form",
    { class: "log", novalidate: true },
    formError(),
    choice({ name: "posture", legend: gettext("Right now I am"), options: vocab.postures(), value: entry?.posture, className: "posture" }),
    choice({
      name: "headache",
      legend: gettext("My headache is"),
      hint: gettext("0 = no headache, 10 = the worst imaginable"),
      options: vocab.ratings(),
      value: entry?.headache,
      className: "rating",
    }),
    details,
    h("button", { type: "submit", class: "primary" }, entry ? gettext("Save changes") : gettext("Save"))
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const posture = checked(form, "posture")[0];
    const headache = checked(form, "headache")[0];
    const error = form.querySelector(".form-error");
    if (!posture || headache === undefined) {
      error.textContent = gettext("Choose how you are lying or standing and how bad the headache is.");
      error.hidden = false;
      error.focus();
      return;
    }
    const when = form.elements.recorded_at.value;
    const data = {
      ...(entry || {}),
      id: entry ? entry.id : sync.newId(),
      recorded_at: withOffset(when ? new Date(when) : new Date()),
      posture,
      headache: Number(headache),
      symptoms: checked(form, "symptoms"),
      triggers: checked(form, "triggers"),
      note: form.elements.note.value.trim(),
    };
    // Server-owned fields never go back in the body.
    for (const key of ["patient", "created_at", "updated_at", "version"]) delete data[key];
    await sync.save("entry", data);
    announce(gettext("Saved on this phone. It goes to your clinic when you are online."));
    if (entry) navigate("/app/history");
    else logScreen(main, { navigate }).then(() => main.querySelector(".saved").focus());
  });
  fill(main, 
    h("h1", {}, entry ? gettext("Edit entry") : gettext("How are you now?")),
    id && !entry ? h("p", {}, gettext("This entry is no longer on this phone.")) : null,
    h("p", { class: "saved", tabindex: "-1" }, await lastSaved()),
    form
  );
}

async function lastSaved() {
  const entries = (await store.all("records")).filter((r) => r.type === "entry");
  if (!entries.length) return "";
  const last = entries.map((r) => r.data.recorded_at).sort().pop();
  return interpolate(gettext("Last entry: %(when)s"), {
    when: new Intl.DateTimeFormat(current, { dateStyle: "medium", timeStyle: "short" }).format(new Date(last)),
  });
}
