// Record a treatment (a blood patch and the like): kind, approach, levels, volume.
import { gettext } from "./i18n.js";
import * as store from "./store.js";
import * as sync from "./sync.js";
import { announce, field, formError, h, localInputValue, showErrors, withOffset, fill } from "./ui.js";
import * as vocab from "./vocab.js";

const LEVEL = /^(C[1-7]|T([1-9]|1[0-2])|L[1-5]|S[1-5])\/(C[1-7]|T([1-9]|1[0-2])|L[1-5]|S[1-5])$/;

export async function treatmentScreen(main, { id, navigate } = {}) {
  const record = id ? await store.get("records", id) : null;
  const patch = record ? record.data : null;
  const form = h(
    "form",
    { novalidate: true },
    formError(),
    field({ label: gettext("When"), name: "performed_at", type: "datetime-local", value: localInputValue(patch ? new Date(patch.performed_at) : new Date()), required: true }),
    field({ label: gettext("Treatment"), name: "kind", type: "select", value: patch?.kind || "epidural_blood_patch", options: vocab.kinds() }),
    field({ label: gettext("Approach"), name: "approach", type: "select", value: patch?.approach || "", options: vocab.approaches() }),
    field({
      label: gettext("Spinal levels"),
      name: "levels",
      value: (patch?.levels || []).join(", "),
      hint: gettext("As on your discharge letter, e.g. L3/L4, T12/L1. Leave empty if not known."),
      autocapitalize: "characters",
      autocomplete: "off",
    }),
    field({ label: gettext("Volume in mL"), name: "volume_ml", type: "number", value: patch?.volume_ml ?? "", inputmode: "decimal", min: "0", max: "100", step: "0.5" }),
    field({ label: gettext("Note"), name: "note", type: "textarea", value: patch?.note || "", maxlength: 2000 }),
    h("button", { type: "submit", class: "primary" }, gettext("Save treatment"))
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const values = form.elements;
    const levels = values.levels.value.split(/[\s,;]+/).filter(Boolean).map((level) => level.toUpperCase());
    const volume = values.volume_ml.value === "" ? null : Number(values.volume_ml.value);
    const fields = {};
    if (!values.performed_at.value) fields.performed_at = [gettext("Say when it was done.")];
    if (levels.some((level) => !LEVEL.test(level))) fields.levels = [gettext("Write levels like L3/L4, one after another.")];
    if (volume !== null && !(volume > 0 && volume <= 100)) fields.volume_ml = [gettext("Between 0 and 100 mL.")];
    if (Object.keys(fields).length) {
      showErrors(form, { message: gettext("Please check the marked fields."), fields });
      return;
    }
    const data = {
      ...(patch || {}),
      id: patch ? patch.id : sync.newId(),
      performed_at: withOffset(new Date(values.performed_at.value)),
      kind: values.kind.value,
      approach: values.approach.value || null,
      levels,
      volume_ml: volume,
      note: values.note.value.trim(),
    };
    // Server-owned fields never go back in the body.
    for (const key of ["patient", "created_at", "updated_at", "version"]) delete data[key];
    await sync.save("patch", data);
    announce(gettext("Saved on this phone. It goes to your clinic when you are online."));
    navigate("/app/history");
  });
  fill(main, h("h1", {}, patch ? gettext("Edit treatment") : gettext("Record a treatment")), form);
}
