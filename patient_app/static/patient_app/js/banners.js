// What the patient has to see: records the server refused or found changed
// elsewhere (never dropped quietly), each with a choice.
import { gettext, interpolate } from "./i18n.js";
import * as store from "./store.js";
import * as sync from "./sync.js";
import { h } from "./ui.js";
import * as vocab from "./vocab.js";

function summary(type, data) {
  if (!data) return gettext("deleted");
  if (type === "patch") return [vocab.kindLabel(data.kind), (data.levels || []).join(", ")].filter(Boolean).join(" · ");
  const text = interpolate(gettext("%(posture)s: headache %(rating)s of 10"), { posture: vocab.postureLabel(data.posture), rating: data.headache });
  return data.note ? `${text} · ${data.note}` : text;
}

export async function problemBanners({ refresh }) {
  const problems = await store.all("problems");
  return problems.map((problem) => {
    const decide = (keepMine) => async () => {
      await sync.resolveProblem(problem.id, keepMine);
      refresh();
    };
    if (problem.kind === "conflict") {
      return h("section", { class: "banner conflict", "aria-labelledby": `p-${problem.id}` },
        h("h2", { id: `p-${problem.id}` }, gettext("Changed in two places")),
        h("p", {}, gettext("Someone at your clinic changed this record while you changed it on this phone. Which one is right?")),
        h("dl", {},
          h("dt", {}, gettext("On this phone")), h("dd", {}, summary(problem.type, problem.op === "delete" ? null : problem.mine)),
          h("dt", {}, gettext("At the clinic")), h("dd", {}, summary(problem.type, problem.theirs))),
        h("div", { class: "actions" },
          h("button", { type: "button", class: "primary", onclick: decide(true) }, gettext("Keep mine")),
          h("button", { type: "button", class: "secondary", onclick: decide(false) }, gettext("Keep the clinic's"))));
    }
    return h("section", { class: "banner error", "aria-labelledby": `p-${problem.id}` },
      h("h2", { id: `p-${problem.id}` }, gettext("Not accepted")),
      h("p", {}, interpolate(gettext("Your clinic's server did not accept this record: %(reason)s"), { reason: [problem.message, ...Object.values(problem.fields || {}).flat()].filter(Boolean).join(" ") })),
      h("p", {}, summary(problem.type, problem.mine)),
      h("div", { class: "actions" },
        h("button", { type: "button", class: "secondary", onclick: decide(true) }, gettext("Send again")),
        h("button", { type: "button", class: "secondary", onclick: decide(false) }, gettext("Discard it"))));
  });
}
