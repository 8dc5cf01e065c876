import { call } from "../lib/api.js";
import { errorBox, field, h, onSubmit } from "../lib/dom.js";

export const title = "Forgot password";

export function render() {
  const box = errorBox();
  const done = h("p", { class: "success", role: "status" });
  const form = h(
    "form",
    {},
    field("Email", { name: "email", type: "email", autocomplete: "email", required: true }),
    box,
    h("button", { type: "submit", class: "primary" }, "Send reset link"),
  );
  onSubmit(form, box, async ({ email }) => {
    await call("/v1/auth/password-reset/request", { method: "POST", body: { email } });
    // The server answers alike for unknown addresses, so this must not promise a mail either.
    done.textContent = `If ${email} belongs to an account, a reset link is on its way.`;
  });
  return h(
    "section",
    { class: "card narrow" },
    h("h1", {}, "Forgot your password?"),
    h("p", {}, "We will email you a link to choose a new one."),
    form,
    done,
    h("p", { class: "links" }, h("a", { href: "#/login" }, "Back to sign in")),
  );
}
