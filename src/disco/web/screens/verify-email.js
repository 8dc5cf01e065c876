import { call } from "../lib/api.js";
import { errorBox, h, showError } from "../lib/dom.js";
import { session } from "../lib/session.js";

export const title = "Verify email";

export function render({ params }) {
  const token = params.get("token");
  history.replaceState(null, "", "#/verify-email"); // one-time code: not for history
  const status = h("p", { role: "status" }, "Checking your link…");
  const box = errorBox();
  const next = h("p", { class: "links" });
  const section = h("section", { class: "card narrow" }, h("h1", {}, "Verify email"), status, box);
  section.append(next);
  const onwards = () =>
    next.replaceChildren(
      session.signedIn
        ? h("a", { href: "#/" }, "Continue to Disco")
        : h("a", { href: "#/login" }, "Sign in"),
    );
  if (!token) {
    status.textContent = "";
    showError(box, "This link has no verification code in it.");
    onwards();
    return section;
  }
  call("/v1/auth/verify-email", { method: "POST", body: { token } })
    .then(() => {
      status.textContent = "Your email address is verified. Thank you!";
      status.className = "success";
    })
    .catch((error) => {
      status.textContent = "";
      showError(box, error);
    })
    .finally(onwards);
  return section;
}
