// The patient app: a shell, a router over a few screens, and the sync loop.
import * as api from "./api.js";
import * as i18n from "./i18n.js";
import { gettext, interpolate, ngettext } from "./i18n.js";
import * as store from "./store.js";
import * as sync from "./sync.js";
import { h } from "./ui.js";
import { logScreen } from "./screens-log.js";
import { standupScreen } from "./screens-standup.js";
import { treatmentScreen } from "./screens-treatment.js";
import { courseScreen, historyScreen } from "./screens-course.js";
import { enrolScreen, loginScreen, resetScreen, settingsScreen, startSession, syncStatus } from "./screens-account.js";
import { problemBanners, reminderBanners } from "./banners.js";
import { dayScreen, pgicScreen } from "./screens-day.js";

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const net = document.getElementById("net");
const banners = document.getElementById("banners");

const ROUTES = {
  "/app/": logScreen,
  "/app/log": logScreen,
  "/app/standup": standupScreen,
  "/app/treatment": treatmentScreen,
  "/app/day": dayScreen,
  "/app/pgic": pgicScreen,
  "/app/course": courseScreen,
  "/app/history": historyScreen,
  "/app/settings": settingsScreen,
  "/app/login": loginScreen,
  "/app/enrol": enrolScreen,
  "/app/reset": resetScreen,
};
const PUBLIC = new Set(["/app/login", "/app/enrol", "/app/reset"]);
let leave = null; // the current screen's clean-up (the stand-up timer)
let rendering = Promise.resolve();

function navItems() {
  return [
    ["/app/", gettext("Log")],
    ["/app/standup", gettext("Stand-up test")],
    ["/app/day", gettext("My day")],
    ["/app/course", gettext("My course")],
    ["/app/settings", gettext("Settings")],
  ];
}

function path() {
  const p = location.pathname.replace(/\/+$/, "") || "/app";
  return p === "/app" ? "/app/" : p;
}

export function navigate(to, { replace = false } = {}) {
  if (replace) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
  return render({ focus: true });
}

async function setLanguage(code) {
  await i18n.load(code);
  await store.put("meta", i18n.current, "lang");
  if (api.loggedIn()) {
    try {
      await api.call("PATCH", "/api/v1/me/profile/", { language: i18n.current });
    } catch {
      // Offline or not there yet: the choice holds on this phone; sent with the next change.
    }
  }
}

function render({ focus = false, refresh = false } = {}) {
  rendering = rendering.then(() => show(focus, refresh)).catch((error) => console.error(error));
  return rendering;
}

// A patient answering a question on the screen (delete: yes or no?) is never
// interrupted by a redraw after a sync.
const asking = () => Boolean(main.querySelector(".confirm"));

async function show(focus, refresh = false) {
  if (refresh && asking()) return renderChrome();
  if (leave) leave();
  leave = null;
  let route = path();
  if (!ROUTES[route]) route = "/app/";
  if (!PUBLIC.has(route) && !api.loggedIn()) {
    history.replaceState(null, "", "/app/login");
    route = "/app/login";
  }
  const id = new URLSearchParams(location.search).get("id");
  const result = await ROUTES[route](main, { id, navigate, setLanguage, asking: refresh ? asking : () => false });
  if (typeof result === "function") leave = result;
  renderNav(route);
  await renderChrome();
  const heading = main.querySelector("h1");
  document.title = `${heading ? heading.textContent : ""} – ${gettext("Symptom diary")}`;
  if (focus && heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus();
  }
}

function renderNav(route) {
  nav.hidden = !api.loggedIn() || PUBLIC.has(route);
  nav.setAttribute("aria-label", gettext("Main"));
  const current = { "/app/log": "/app/", "/app/pgic": "/app/", "/app/history": "/app/course", "/app/treatment": "/app/course" }[route] || route;
  nav.replaceChildren(
    h("ul", {}, navItems().map(([href, label]) => h("li", {}, h("a", { href, "data-route": "", "aria-current": href === current ? "page" : null }, label))))
  );
}

// The header's line about the connection, and the banners above the screen.
async function renderChrome() {
  document.getElementById("brand").textContent = gettext("Symptom diary");
  document.querySelector(".skip").textContent = gettext("Skip to content");
  const pending = api.loggedIn() ? await sync.pendingCount() : 0;
  const offline = !navigator.onLine;
  net.textContent = offline
    ? gettext("Offline: saving on this phone")
    : pending
      ? interpolate(ngettext("%(n)s waiting to send", "%(n)s waiting to send", pending), { n: pending })
      : "";
  net.classList.toggle("offline", offline);
  const status = main.querySelector(".sync-status");
  if (status) status.textContent = syncStatus(pending, await store.count("problems"));
  const onForm = ["/app/pgic", "/app/login", "/app/enrol", "/app/reset"].includes(path());
  banners.replaceChildren(
    ...(api.loggedIn() ? await problemBanners({ refresh: () => render() }) : []),
    ...(api.loggedIn() && !onForm ? await reminderBanners() : [])
  );
}

document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-route]");
  if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
  event.preventDefault();
  navigate(link.getAttribute("href"));
});
window.addEventListener("popstate", () => render({ focus: true }));
window.addEventListener("diary:logged-out", () => navigate("/app/login", { replace: true }));
// After a sync or a save elsewhere: the header, banners and lists catch up.
let chromeTimer = null;
window.addEventListener("diary:changed", () => {
  clearTimeout(chromeTimer);
  chromeTimer = setTimeout(() => {
    const route = path();
    // Screens with a form being filled in are left alone; lists are redrawn,
    // unless the patient is answering a question on one (delete: yes or no?).
    if (route === "/app/history" || route === "/app/course") render({ refresh: true });
    else renderChrome();
  }, 50);
});

// A link with tokens in its fragment (the demo's, printed by seed_demo) logs
// this phone in; the tokens leave the address bar at once.
async function takeTokens() {
  const params = new URLSearchParams(location.hash.slice(1));
  if (!params.get("refresh") || !params.get("access")) return;
  history.replaceState(null, "", location.pathname);
  await startSession(params.get("username") || "", { access: params.get("access"), refresh: params.get("refresh") });
}

async function profileLanguage() {
  try {
    const profile = await api.call("GET", "/api/v1/me/profile/");
    return profile && profile.language;
  } catch {
    return null; // offline: the language stored on this phone
  }
}

async function start() {
  await takeTokens();
  await api.loadAuth();
  const stored = await store.get("meta", "lang");
  await i18n.load(stored || i18n.pick(navigator.languages || [navigator.language]));
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/app/sw.js", { scope: "/app/" }).catch((error) => console.warn(error));
  }
  await render();
  document.body.dataset.ready = "true";
  if (api.loggedIn()) {
    sync.soon();
    const language = await profileLanguage();
    if (language && language !== i18n.current) {
      await i18n.load(language);
      await store.put("meta", i18n.current, "lang");
      await render();
    }
  }
}

start();
