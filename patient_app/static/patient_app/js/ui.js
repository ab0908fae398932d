// Small DOM helpers: elements are built, never parsed from strings, so a
// note typed by the patient can never become markup.
import { gettext } from "./i18n.js";

export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "class") element.className = value;
    else if (name in element && typeof value !== "string") element[name] = value;
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

const SVG = "http://www.w3.org/2000/svg";
export function s(tag, attrs = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) element.setAttribute(name, value);
  for (const child of children.flat()) if (child) element.append(child instanceof Node ? child : String(child));
  return element;
}

let uid = 0;
export function nextId(prefix) {
  uid += 1;
  return `${prefix}-${uid}`;
}

export function announce(text) {
  const live = document.getElementById("live");
  live.textContent = "";
  // A fresh text node after a tick, so screen readers read a repeated message too.
  setTimeout(() => {
    live.textContent = text;
  }, 50);
}

// A group of big radio buttons (posture, the 0–10 rating): one tap each.
export function choice({ name, legend, options, value, hint, className = "" }) {
  const hintId = hint ? nextId("hint") : null;
  return h(
    "fieldset",
    { class: `choice ${className}`, "aria-describedby": hintId },
    h("legend", {}, legend),
    hint ? h("p", { class: "hint", id: hintId }, hint) : null,
    h(
      "div",
      { class: "options" },
      options.map(([optionValue, label]) => {
        const id = nextId(name);
        return h(
          "div",
          { class: "option" },
          h("input", { type: "radio", name, id, value: String(optionValue), checked: String(value) === String(optionValue), required: true }),
          h("label", { for: id }, label)
        );
      })
    )
  );
}

export function checkboxes({ name, legend, options, values = [] }) {
  return h(
    "fieldset",
    { class: "checks" },
    h("legend", {}, legend),
    options.map(([optionValue, label]) => {
      const id = nextId(name);
      return h(
        "div",
        { class: "check" },
        h("input", { type: "checkbox", name, id, value: optionValue, checked: values.includes(optionValue) }),
        h("label", { for: id }, label)
      );
    })
  );
}

export function field({ label, name, type = "text", value = "", hint, ...attrs }) {
  const id = nextId(name);
  const hintId = hint ? nextId("hint") : null;
  const errorId = `${id}-error`;
  const input =
    type === "textarea"
      ? h("textarea", { id, name, rows: 3, "aria-describedby": hintId, ...attrs }, value ?? "")
      : type === "select"
        ? h(
            "select",
            { id, name, "aria-describedby": hintId },
            attrs.options.map(([optionValue, optionLabel]) =>
              h("option", { value: optionValue, selected: String(value) === String(optionValue) }, optionLabel)
            )
          )
        : h("input", { id, name, type, value: value ?? "", "aria-describedby": hintId, ...attrs });
  return h(
    "div",
    { class: "field", "data-field": name },
    h("label", { for: id }, label),
    hint ? h("p", { class: "hint", id: hintId }, hint) : null,
    input,
    h("p", { class: "error", id: errorId, hidden: true })
  );
}

// Field errors from the API ({"fields": {"name": ["why"]}}) next to their fields.
export function showErrors(form, error) {
  for (const box of form.querySelectorAll(".field .error")) box.hidden = true;
  const summary = form.querySelector(".form-error");
  const unplaced = [];
  for (const [name, messages] of Object.entries((error && error.fields) || {})) {
    const box = form.querySelector(`[data-field="${name}"] .error`);
    const text = [].concat(messages).join(" ");
    if (box) {
      box.textContent = text;
      box.hidden = false;
      const input = box.parentElement.querySelector("input, select, textarea");
      if (input) {
        input.setAttribute("aria-invalid", "true");
        input.setAttribute("aria-describedby", `${input.getAttribute("aria-describedby") || ""} ${box.id}`.trim());
      }
    } else unplaced.push(text);
  }
  if (summary) {
    const message = error ? [error.message, ...unplaced].filter(Boolean).join(" ") : "";
    summary.textContent = message || (error ? gettext("That did not work. Please try again.") : "");
    summary.hidden = !error;
    if (error) summary.focus();
  }
}

export function formError() {
  return h("p", { class: "form-error", role: "alert", tabindex: "-1", hidden: true });
}

// datetime-local wants the phone's local wall time, without an offset.
export function localInputValue(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

// The API wants an offset: the phone's own, for the moment chosen.
export function withOffset(date) {
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  const pad = (n) => String(Math.floor(Math.abs(n))).padStart(2, "0");
  return `${localInputValue(date)}:${pad(date.getSeconds())}${sign}${pad(offset / 60)}:${pad(offset % 60)}`;
}

export function formatWhen(iso, language) {
  return new Intl.DateTimeFormat(language, { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));
}

// Replace an element's content; absent parts (null, false) are left out, never shown as "null".
export function fill(parent, ...children) {
  parent.replaceChildren(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
}
