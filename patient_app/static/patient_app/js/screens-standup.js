// The stand-up test: lie flat, stand up (start), tap when the headache starts
// (onset minutes), lie down, tap when it eases (relief minutes). Saved as two
// entries. The screen stays on while the timer runs (Screen Wake Lock).
import { gettext, interpolate } from "./i18n.js";
import * as sync from "./sync.js";
import { announce, choice, formError, h, withOffset, fill } from "./ui.js";
import * as vocab from "./vocab.js";

let wakeLock = null;
let ticker = null;

async function keepAwake(on) {
  try {
    if (on && !wakeLock && navigator.wakeLock) {
      wakeLock = await navigator.wakeLock.request("screen");
      wakeLock.addEventListener("release", () => {
        wakeLock = null;
      });
    } else if (!on && wakeLock) {
      await wakeLock.release();
      wakeLock = null;
    }
  } catch {
    wakeLock = null; // refused (battery saver): the timer still works
  }
}

// The lock is dropped when the page is hidden; take it again on return.
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible" && ticker) keepAwake(true);
});

function minutesBetween(start, end) {
  return Math.max(0, Math.round((end - start) / 60000));
}

function clock(since) {
  const seconds = Math.max(0, Math.floor((Date.now() - since) / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

export function standupScreen(main) {
  const test = { step: "intro" };
  clearInterval(ticker);
  ticker = null;

  function timer(since) {
    const display = h("p", { class: "timer", role: "timer", "aria-live": "off" }, clock(since));
    clearInterval(ticker);
    ticker = setInterval(() => {
      display.textContent = clock(since);
    }, 1000);
    return display;
  }

  function stop() {
    clearInterval(ticker);
    ticker = null;
    keepAwake(false);
  }

  function rating(name) {
    return choice({ name, legend: gettext("How bad is the headache now?"), hint: gettext("0 = no headache, 10 = the worst imaginable"), options: vocab.ratings(), className: "rating" });
  }

  function ratingOf(form, name) {
    const input = form.querySelector(`input[name="${name}"]:checked`);
    return input ? Number(input.value) : null;
  }

  function render() {
    const heading = h("h1", { tabindex: "-1" }, gettext("Stand-up test"));
    let body;
    if (test.step === "intro") {
      body = [
        h("ol", { class: "steps" },
          h("li", {}, gettext("Lie flat for at least 30 minutes first.")),
          h("li", {}, gettext("Stand up and tap the button at once.")),
          h("li", {}, gettext("Tap again when the headache starts, then lie down.")),
          h("li", {}, gettext("Tap when the headache eases."))),
        h("p", { class: "hint" }, gettext("The screen stays on while the timer runs. Stop if you feel faint.")),
        h("button", { type: "button", class: "primary", onclick: () => { test.upAt = Date.now(); test.step = "upright"; keepAwake(true); render(); } }, gettext("I am standing up now")),
      ];
    } else if (test.step === "upright") {
      body = [
        h("p", {}, gettext("Standing for")),
        timer(test.upAt),
        h("button", { type: "button", class: "primary", onclick: () => { test.onsetAt = Date.now(); test.step = "onset"; render(); } }, gettext("The headache has started")),
        cancel(),
      ];
    } else if (test.step === "onset") {
      const form = h("form", { novalidate: true }, formError(),
        h("p", { class: "result" }, interpolate(gettext("The headache started after %(minutes)s minutes upright."), { minutes: minutesBetween(test.upAt, test.onsetAt) })),
        rating("upright"),
        h("button", { type: "submit", class: "primary" }, gettext("I am lying down now")));
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        test.uprightRating = ratingOf(form, "upright");
        if (!required(form, test.uprightRating)) return;
        test.downAt = Date.now();
        test.step = "lying";
        render();
      });
      body = [form, cancel()];
    } else if (test.step === "lying") {
      body = [
        h("p", {}, gettext("Lying down for")),
        timer(test.downAt),
        h("button", { type: "button", class: "primary", onclick: () => { test.reliefAt = Date.now(); test.step = "relief"; stop(); render(); } }, gettext("The headache has eased")),
        cancel(),
      ];
    } else if (test.step === "relief") {
      const form = h("form", { novalidate: true }, formError(),
        h("p", { class: "result" }, interpolate(gettext("It eased after %(minutes)s minutes lying down."), { minutes: minutesBetween(test.downAt, test.reliefAt) })),
        rating("lying"),
        h("button", { type: "submit", class: "primary" }, gettext("Save the test")));
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        const lying = ratingOf(form, "lying");
        if (!required(form, lying)) return;
        await save(lying);
        test.step = "saved";
        render();
      });
      body = [form, cancel()];
    } else {
      body = [
        h("p", { class: "result" }, interpolate(gettext("Saved: headache after %(onset)s minutes upright, eased after %(relief)s minutes lying down."), {
          onset: minutesBetween(test.upAt, test.onsetAt),
          relief: minutesBetween(test.downAt, test.reliefAt),
        })),
        h("button", { type: "button", onclick: () => standupScreen(main) }, gettext("Start again")),
      ];
      announce(gettext("Saved on this phone. It goes to your clinic when you are online."));
    }
    fill(main, heading, ...body);
    const focus = main.querySelector(".result") || heading;
    focus.setAttribute("tabindex", "-1");
    focus.focus();
  }

  function required(form, value) {
    if (value !== null) return true;
    const error = form.querySelector(".form-error");
    error.textContent = gettext("Choose how bad the headache is.");
    error.hidden = false;
    error.focus();
    return false;
  }

  function cancel() {
    return h("button", { type: "button", class: "secondary", onclick: () => { stop(); standupScreen(main); } }, gettext("Cancel the test"));
  }

  async function save(lyingRating) {
    const onset = minutesBetween(test.upAt, test.onsetAt);
    const relief = minutesBetween(test.downAt, test.reliefAt);
    await sync.save("entry", {
      id: sync.newId(),
      recorded_at: withOffset(new Date(test.onsetAt)),
      posture: "standing",
      headache: test.uprightRating,
      minutes_in_posture: onset,
      onset_minutes: onset,
      symptoms: [],
      note: "",
    });
    await sync.save("entry", {
      id: sync.newId(),
      recorded_at: withOffset(new Date(test.reliefAt)),
      posture: "lying",
      headache: lyingRating,
      minutes_in_posture: relief,
      relief_minutes: relief,
      symptoms: [],
      note: "",
    });
  }

  render();
  return () => stop(); // leaving the screen stops the timer
}
