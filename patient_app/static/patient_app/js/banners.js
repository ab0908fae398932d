// What the patient has to see: records the server refused or found changed
// elsewhere (never dropped quietly), each with a choice.
import { gettext, interpolate } from "./i18n.js";
import * as store from "./store.js";
import * as sync from "./sync.js";
import { h } from "./ui.js";
import * as vocab from "./vocab.js";
import { describeDay } from "./screens-course.js";

function summary(type, data) {
  if (!data) return gettext("deleted");
  if (type === "day_log") return describeDay(data);
  if (type === "impression") return interpolate(gettext("Change since the treatment: %(answer)s"), { answer: Object.fromEntries(vocab.pgic())[data.score] || data.score });
  if (type === "patch") {
    const volume = data.volume_ml ? `${data.volume_ml} mL` : "";
    return [vocab.kindLabel(data.kind), (data.levels || []).join(", "), volume, data.note].filter(Boolean).join(" · ");
  }
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
        h("p", {}, gettext("This record was also changed elsewhere (by your care team or on another phone) while you changed it here. Which one is right?")),
        h("dl", {},
          h("dt", {}, gettext("On this phone")), h("dd", {}, summary(problem.type, problem.op === "delete" ? null : problem.mine)),
          h("dt", {}, gettext("Saved elsewhere")), h("dd", {}, summary(problem.type, problem.theirs))),
        h("div", { class: "actions" },
          h("button", { type: "button", class: "primary", onclick: decide(true) }, gettext("Keep mine")),
          h("button", { type: "button", class: "secondary", onclick: decide(false) }, gettext("Keep the other"))));
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

// Check-ins after a treatment and the daily reminder, as of the last sync.
export async function reminderBanners() {
  const due = await store.get("meta", "reminders");
  if (!due) return [];
  const records = await store.all("records");
  const answered = new Set(records.filter((r) => r.type === "impression").map((r) => `${r.data.treatment}/${r.data.checkpoint}`));
  const banners = [];
  for (const checkin of due.checkins || []) {
    const when = vocab.checkpointLabel(checkin.checkpoint);
    if (checkin.pgic_due && !answered.has(`${checkin.treatment}/${checkin.checkpoint}`)) {
      banners.push(reminder(
        interpolate(gettext("%(when)s after your treatment"), { when }),
        gettext("How has your condition changed since the treatment? One question."),
        `/app/pgic?treatment=${encodeURIComponent(checkin.treatment)}&checkpoint=${encodeURIComponent(checkin.checkpoint)}`,
        gettext("Answer now")
      ));
    }
    if (checkin.ratings_due) {
      banners.push(reminder(
        interpolate(gettext("%(when)s after your treatment"), { when }),
        gettext("Please log your headache lying down and upright."),
        "/app/",
        gettext("Log now")
      ));
    }
  }
  if (due.daily && due.daily.due) {
    banners.push(reminder(gettext("Your daily entry"), gettext("Nothing logged in the last 24 hours. How are you today?"), "/app/", gettext("Log now")));
  }
  return banners;
}

function reminder(title, text, href, action) {
  const id = `r-${Math.random().toString(36).slice(2)}`;
  return h("section", { class: "banner reminder", "aria-labelledby": id },
    h("h2", { id }, title),
    h("p", {}, text),
    h("a", { class: "button", href, "data-route": "" }, action));
}
