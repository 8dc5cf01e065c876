import { call } from "../lib/api.js";
import { errorBox, field, h, onSubmit } from "../lib/dom.js";
import { navigate } from "../lib/router.js";
import { session } from "../lib/session.js";

export const title = "Sign in";

export function render() {
  const box = errorBox();
  const notice = session.endedBecause
    ? h("p", { class: "notice", role: "status" }, session.endedBecause)
    : null;
  session.endedBecause = null;
  const form = h(
    "form",
    {},
    field("Email", { name: "email", type: "email", autocomplete: "email", required: true }),
    field("Password", {
      name: "password",
      type: "password",
      autocomplete: "current-password",
      required: true,
    }),
    box,
    h("button", { type: "submit", class: "primary" }, "Sign in"),
  );
  onSubmit(form, box, async ({ email, password }) => {
    const deviceToken = session.deviceToken(email);
    const body = deviceToken ? { email, password, deviceToken } : { email, password };
    const answer = await call("/v1/auth/login", { method: "POST", body });
    if (answer.mfaRequired) {
      const second = secondFactor(answer.mfaToken);
      form.replaceWith(second);
      second.querySelector("input").focus();
      return;
    }
    signedIn(answer);
  });
  return h(
    "section",
    { class: "card narrow" },
    h("h1", {}, "Sign in"),
    notice,
    form,
    h(
      "p",
      { class: "links" },
      h("a", { href: "#/forgot-password" }, "Forgot your password?"),
      h("a", { href: "#/signup" }, "Create an account"),
    ),
  );
}

/** With two-factor on, the password buys an mfaToken; a code from the app completes it. */
function secondFactor(mfaToken) {
  const box = errorBox();
  const form = h(
    "form",
    {},
    field("Authentication code", {
      name: "code",
      autocomplete: "one-time-code",
      required: true,
      "aria-describedby": "code-hint",
    }),
    h(
      "p",
      { id: "code-hint", class: "hint" },
      "The 6-digit code from your authenticator app, or one of your recovery codes.",
    ),
    box,
    h("button", { type: "submit", class: "primary" }, "Verify"),
  );
  onSubmit(form, box, async ({ code }) => {
    signedIn(await call("/v1/auth/2fa/verify", { method: "POST", body: { mfaToken, code } }));
  });
  return form;
}

function signedIn(pair) {
  session.save(pair);
  navigate("/");
}
