// Getting in and out: log in, enrol from the clinic's link, reset a forgotten
// password from a reset link, settings (language, sync, log out).
import * as api from "./api.js";
import * as i18n from "./i18n.js";
import { LANGUAGES, current, gettext, interpolate, ngettext } from "./i18n.js";
import * as store from "./store.js";
import * as sync from "./sync.js";
import { announce, field, formError, h, showErrors, fill } from "./ui.js";

// The code from a link (#code=...), taken out of the address bar at once.
export function takeCode() {
  const params = new URLSearchParams(location.hash.slice(1));
  const code = params.get("code") || "";
  if (code) history.replaceState(null, "", location.pathname);
  return code;
}

// A new login on this phone: another person's diary is never kept.
export async function startSession(username, tokens) {
  const owner = await store.get("meta", "owner");
  if (owner && owner !== username) await store.clearAll();
  await store.put("meta", username, "owner");
  await api.logIn(username, tokens);
  // The language of the patient's profile, so a new phone speaks it at once.
  try {
    const profile = await api.call("GET", "/api/v1/me/profile/");
    if (profile && profile.language && profile.language !== i18n.current) {
      await i18n.load(profile.language);
      await store.put("meta", i18n.current, "lang");
    }
  } catch {
    // Offline: the phone's language until the next start.
  }
  sync.soon(); // fetch the diary this login already has
}

function authForm({ title, intro, fields, submit, onSubmit }) {
  const form = h("form", { novalidate: true }, formError(), ...fields, h("button", { type: "submit", class: "primary" }, submit));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      await onSubmit(form.elements);
    } catch (error) {
      if (error instanceof api.Offline) showErrors(form, { message: gettext("No connection. Try again when you are online.") });
      else showErrors(form, error);
    } finally {
      button.disabled = false;
    }
  });
  return [h("h1", {}, title), intro ? h("p", {}, intro) : null, form];
}

export function loginScreen(main, { navigate }) {
  fill(main, 
    ...authForm({
      title: gettext("Log in"),
      fields: [
        field({ label: gettext("Username"), name: "username", autocomplete: "username", autocapitalize: "none", required: true }),
        field({ label: gettext("Password"), name: "password", type: "password", autocomplete: "current-password", required: true }),
      ],
      submit: gettext("Log in"),
      onSubmit: async (values) => {
        const username = values.username.value.trim();
        const tokens = await api.anonymous("POST", "/api/v1/auth/token/", { username, password: values.password.value });
        await startSession(username, tokens);
        navigate("/app/");
      },
    }),
    h("p", { class: "hint" }, gettext("New here? Open the link or scan the QR code your clinic gave you. Forgot your password? Ask your clinic for a reset link."))
  );
}

export function enrolScreen(main, { navigate }) {
  const code = takeCode();
  fill(main, 
    ...authForm({
      title: gettext("Welcome"),
      intro: gettext("Choose a username and a password for your diary."),
      fields: [
        field({ label: gettext("Code from your clinic"), name: "code", value: code, autocomplete: "off", autocapitalize: "none", required: true }),
        field({ label: gettext("Username"), name: "username", autocomplete: "username", autocapitalize: "none", required: true }),
        field({ label: gettext("Password"), name: "password", type: "password", autocomplete: "new-password", hint: gettext("At least 8 characters, not only numbers."), required: true }),
      ],
      submit: gettext("Start my diary"),
      onSubmit: async (values) => {
        const username = values.username.value.trim();
        const tokens = await api.anonymous("POST", "/api/v1/auth/enroll/", {
          code: values.code.value.trim(),
          username,
          password: values.password.value,
        });
        await startSession(username, tokens);
        navigate("/app/");
      },
    })
  );
}

export function resetScreen(main, { navigate }) {
  const code = takeCode();
  fill(main, 
    ...authForm({
      title: gettext("New password"),
      intro: gettext("Choose a new password. You will be logged out everywhere else."),
      fields: [
        field({ label: gettext("Code from your clinic"), name: "code", value: code, autocomplete: "off", autocapitalize: "none", required: true }),
        field({ label: gettext("New password"), name: "new_password", type: "password", autocomplete: "new-password", hint: gettext("At least 8 characters, not only numbers."), required: true }),
      ],
      submit: gettext("Save the new password"),
      onSubmit: async (values) => {
        const answer = await api.anonymous("POST", "/api/v1/auth/reset/", { code: values.code.value.trim(), new_password: values.new_password.value });
        await startSession(answer.username, answer);
        navigate("/app/");
      },
    })
  );
}

export async function settingsScreen(main, { navigate, setLanguage }) {
  const pending = await sync.pendingCount();
  const status = h("p", { class: "sync-status", role: "status" }, syncStatus(pending, await store.count("problems")));
  const language = field({ label: gettext("Language"), name: "language", type: "select", value: current, options: Object.entries(LANGUAGES) });
  language.querySelector("select").setAttribute("lang", "");
  for (const option of language.querySelectorAll("option")) option.setAttribute("lang", option.value);
  const languageForm = h("form", { class: "inline" }, language, h("button", { type: "submit" }, gettext("Change language")));
  languageForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    await setLanguage(languageForm.elements.language.value);
    navigate("/app/settings");
  });
  const logoutBox = h("div", { class: "logout" });
  // everywhere: every login of the patient ends, on every phone and browser.
  const logOut = async (everywhere) => {
    try {
      await api.logOut({ everywhere });
    } catch (error) {
      logoutBox.append(h("p", { class: "form-error", role: "alert" }, error instanceof api.Offline
        ? gettext("No connection. Try again when you are online.")
        : gettext("Could not log out everywhere. Try again.")));
      return;
    }
    await store.clearAll();
    navigate("/app/login");
  };
  const logOutButton = (label, everywhere) => h("button", { type: "button", class: "secondary", onclick: () => {
    if (!pending) return logOut(everywhere);
    logoutBox.replaceChildren(
      h("p", { class: "form-error", role: "alert" }, interpolate(ngettext("%(n)s record is not sent yet and will be lost.", "%(n)s records are not sent yet and will be lost.", pending), { n: pending })),
      h("button", { type: "button", class: "danger", onclick: () => logOut(everywhere) }, gettext("Log out anyway"))
    );
    logoutBox.querySelector("button").focus();
  } }, label);
  logoutBox.append(
    logOutButton(gettext("Log out of this phone"), false),
    logOutButton(gettext("Log out everywhere"), true),
    h("p", { class: "hint" }, gettext("Logging out everywhere also ends your login on every other phone and browser."))
  );
  const passwordForm = authForm({
    title: gettext("Change password"),
    intro: gettext("This logs you out on every other phone and browser."),
    fields: [
      field({ label: gettext("Current password"), name: "old_password", type: "password", autocomplete: "current-password", required: true }),
      field({ label: gettext("New password"), name: "new_password", type: "password", autocomplete: "new-password", hint: gettext("At least 8 characters, not only numbers."), required: true }),
    ],
    submit: gettext("Change password"),
    onSubmit: async (values) => {
      await api.call("POST", "/api/v1/auth/password/", { old_password: values.old_password.value, new_password: values.new_password.value });
      values.old_password.value = "";
      values.new_password.value = "";
      announce(gettext("Password changed. Every other login is logged out."));
    },
  });
  passwordForm[0] = h("h2", {}, gettext("Change password"));
  fill(main, 
    h("h1", {}, gettext("Settings")),
    h("p", {}, interpolate(gettext("Logged in as %(name)s."), { name: api.username() })),
    h("h2", {}, gettext("Sending to your clinic")),
    status,
    h("button", { type: "button", class: "primary", onclick: async () => {
      status.textContent = gettext("Sending…");
      try {
        await sync.now();
      } finally {
        status.textContent = syncStatus(await sync.pendingCount(), await store.count("problems"));
        announce(status.textContent);
      }
    } }, gettext("Send and fetch now")),
    h("h2", {}, gettext("Language")),
    languageForm,
    h("h2", {}, gettext("Account")),
    h("p", { class: "hint" }, gettext("Logging out removes the diary from this phone; your clinic keeps what was sent.")),
    logoutBox,
    ...passwordForm
  );
}

export function syncStatus(pending, problems = 0) {
  if (problems) return interpolate(ngettext("%(n)s record needs your decision: see above.", "%(n)s records need your decision: see above.", problems), { n: problems });
  if (pending) return interpolate(ngettext("%(n)s record waits to be sent.", "%(n)s records wait to be sent.", pending), { n: pending });
  if (sync.state.failing) return gettext("Could not reach your clinic. Trying again soon.");
  return gettext("Everything is sent.");
}
