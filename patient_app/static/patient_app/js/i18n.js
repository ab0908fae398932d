// The app's texts come from Django's gettext (djangojs domain) as a JSON
// catalogue per language, which the service worker keeps for offline use.
// No eval: the plural rule of each language is written out here.

export const LANGUAGES = {
  en: "English",
  de: "Deutsch",
  fr: "Français",
  es: "Español",
};
const PLURAL = {
  en: (n) => (n === 1 ? 0 : 1),
  de: (n) => (n === 1 ? 0 : 1),
  es: (n) => (n === 1 ? 0 : 1),
  fr: (n) => (n > 1 ? 1 : 0),
};

let catalog = {};
export let current = "en";

export function pick(candidates) {
  for (const candidate of candidates) {
    const code = String(candidate || "").slice(0, 2).toLowerCase();
    if (code in LANGUAGES) return code;
  }
  return "en";
}

export async function load(code) {
  const language = code in LANGUAGES ? code : "en";
  const response = await fetch(`/app/i18n/${language}.json`);
  const body = await response.json();
  catalog = body.catalog || {};
  current = language;
  document.documentElement.lang = language;
}

export function gettext(msgid) {
  const value = catalog[msgid];
  if (typeof value === "string" && value) return value;
  return msgid;
}

export function ngettext(singular, plural, n) {
  const value = catalog[singular];
  const index = PLURAL[current](n);
  if (Array.isArray(value) && value[index]) return value[index];
  return index === 0 ? singular : plural;
}

// interpolate("%(n)s saved", {n: 3}): Django's named placeholders.
export function interpolate(format, values) {
  return format.replace(/%\((\w+)\)s/g, (_, name) => String(values[name]));
}
