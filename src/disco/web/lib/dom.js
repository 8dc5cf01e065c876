// Tiny DOM helpers: build elements declaratively and wire forms to API calls.

import { ApiError } from "./api.js";

/**
 * h("button", { class: "primary", onclick: go }, "Go") -> <button class="primary">Go</button>
 * Attributes named on* become listeners; true/false toggle boolean attributes.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  el.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

/** A labelled input; the label is what screen readers and tests find the field by. */
export function field(label, attrs) {
  const id = `f-${attrs.name}`;
  return h("div", { class: "field" }, h("label", { for: id }, label), h("input", { id, ...attrs }));
}

/** Where a screen tells the user what went wrong; announced as soon as it is filled. */
export function errorBox() {
  return h("div", { class: "error", role: "alert", hidden: true });
}

/**
 * Shows `error` in `box`: an ApiError (its message, and the fields it names, by their labels in
 * `form` when there is one), any other failure (a connection problem), or a plain message.
 */
export function showError(box, error, form = null) {
  box.hidden = false;
  if (typeof error === "string") {
    box.replaceChildren(h("p", {}, error));
  } else if (error instanceof ApiError) {
    const problems = fieldProblems(error, form);
    box.replaceChildren(h("p", {}, error.message));
    if (problems.length) box.append(h("ul", {}, problems.map((text) => h("li", {}, text))));
  } else {
    box.replaceChildren(h("p", {}, "Could not reach Disco. Check your connection and try again."));
  }
}

function fieldProblems(error, form) {
  const details = Array.isArray(error.details) ? error.details : [];
  return details
    .filter((d) => d && d.field && d.message)
    .map((d) => {
      const name = d.field.split(".").pop();
      const label = form?.elements.namedItem(name)?.labels?.[0]?.textContent ?? name;
      return `${label}: ${d.message}`;
    });
}

export function clearError(box) {
  box.hidden = true;
  box.replaceChildren();
}

/**
 * Submits `form` through `action(values)`, keeping the button busy meanwhile and showing any
 * API error in `box`. Values are the form's named fields, trimmed except for passwords.
 */
export function onSubmit(form, box, action) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    const values = {};
    for (const [name, value] of new FormData(form)) {
      const input = form.elements.namedItem(name);
      values[name] = input?.type === "password" ? value : String(value).trim();
    }
    clearError(box);
    button.disabled = true;
    form.setAttribute("aria-busy", "true");
    try {
      await action(values);
    } catch (error) {
      showError(box, error, form);
    } finally {
      button.disabled = false;
      form.removeAttribute("aria-busy");
    }
  });
  return form;
}
