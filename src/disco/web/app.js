// Disco's web client: the screens, the route each one lives at, and the account bar.
//
// A new screen is a module in screens/ plus one line in ROUTES.

import { authed } from "./lib/api.js";
import { h } from "./lib/dom.js";
import { live } from "./lib/live.js";
import { Router, navigate } from "./lib/router.js";
import { session } from "./lib/session.js";
import * as discover from "./screens/discover.js";
import * as forgotPassword from "./screens/forgot-password.js";
import * as home from "./screens/home.js";
import * as login from "./screens/login.js";
import * as notFound from "./screens/not-found.js";
import * as resetPassword from "./screens/reset-password.js";
import * as signup from "./screens/signup.js";
import * as verifyEmail from "./screens/verify-email.js";

const ROUTES = {
  "/": home,
  "/discover": discover,
  "/login": login,
  "/signup": signup,
  "/forgot-password": forgotPassword,
  "/reset-password": resetPassword,
  "/verify-email": verifyEmail,
};
// Screens for signing in make no sense to someone already signed in.
const SIGNED_OUT_ONLY = new Set([login, signup, forgotPassword]);

const router = new Router({
  outlet: document.getElementById("view"),
  routes: ROUTES,
  notFound,
  guard(screen) {
    if (screen.needsSession && !session.signedIn) return "/login";
    if (SIGNED_OUT_ONLY.has(screen) && session.signedIn) return "/";
    return null;
  },
});

async function signOut() {
  try {
    await authed("/v1/auth/logout", { method: "POST" });
  } catch {
    // The server may already consider the session over; forgetting it here is what matters.
  }
  session.clear();
}

function renderAccount() {
  const nav = document.getElementById("account");
  if (!session.signedIn) {
    nav.replaceChildren(h("a", { href: "#/login" }, "Sign in"));
    return;
  }
  nav.replaceChildren(
    h("a", { href: "#/discover" }, "Discover"),
    h("span", { class: "who" }, session.user?.name ?? ""),
    h("button", { type: "button", class: "secondary", onclick: signOut }, "Sign out"),
  );
}

session.addEventListener("change", () => {
  renderAccount();
  // Signed out, by choice or because the session ended: leave screens that need a session.
  if (!session.signedIn && router.current?.needsSession) navigate("/login");
});

renderAccount();
router.start();
live.connect(); // the socket belongs to the session, whichever screen is showing
