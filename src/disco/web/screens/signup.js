import { call } from "../lib/api.js";
import { errorBox, field, h, onSubmit } from "../lib/dom.js";
import { navigate } from "../lib/router.js";
import { session } from "../lib/session.js";

export const title = "Create an account";

export function render() {
  const box = errorBox();
  const form = h(
    "form",
    {},
    h(
      "div",
      { class: "row" },
      field("First name", { name: "firstName", autocomplete: "given-name", required: true }),
      field("Last name", { name: "lastName", autocomplete: "family-name", required: true }),
    ),
    field("Email", { name: "email", type: "email", autocomplete: "email", required: true }),
    field("Password", {
      name: "password",
      type: "password",
      autocomplete: "new-password",
      required: true,
      "aria-describedby": "password-hint",
    }),
    h("p", { id: "password-hint", class: "hint" }, "A long passphrase is easiest to remember."),
    box,
    h("button", { type: "submit", class: "primary" }, "Create account"),
  );
  onSubmit(form, box, async (values) => {
    session.save(await call("/v1/auth/signup", { method: "POST", body: values }));
    navigate("/");
  });
  return h(
    "section",
    { class: "card narrow" },
    h("h1", {}, "Create an account"),
    form,
    h(
      "p",
      { class: "links" },
      h("span", {}, "Already have an account? ", h("a", { href: "#/login" }, "Sign in")),
    ),
  );
}
