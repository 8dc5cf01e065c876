import { call } from "../lib/api.js";
import { errorBox, field, h, onSubmit } from "../lib/dom.js";
import { session } from "../lib/session.js";

export const title = "Choose a new password";

export function render({ params }) {
  const token = params.get("token");
  // Keep the one-time token out of the address bar and history once it is read.
  history.replaceState(null, "", "#/reset-password");
  const box = errorBox();
  const section = h("section", { class: "card narrow" }, h("h1", {}, "Choose a new password"));
  if (!token) {
    section.append(
      h("p", { class: "error", role: "alert" }, "This link has no reset code in it."),
      h("p", { class: "links" }, h("a", { href: "#/forgot-password" }, "Ask for a new link")),
    );
    return section;
  }
  const form = h(
    "form",
    {},
    field("New password", {
      name: "password",
      type: "password",
      autocomplete: "new-password",
      required: true,
    }),
    box,
    h("button", { type: "submit", class: "primary" }, "Set password"),
  );
  onSubmit(form, box, async ({ password }) => {
    await call("/v1/auth/password-reset/reset", { method: "POST", body: { token, password } });
    // A reset ends every session, this tab's included.
    if (session.signedIn) session.clear();
    form.replaceWith(
      h("p", { class: "success", role: "status" }, "Your password has been changed."),
      h("p", { class: "links" }, h("a", { href: "#/login" }, "Sign in with it")),
    );
  });
  section.append(form);
  return section;
}
