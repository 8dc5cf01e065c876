// A small hash router: "#/chat/abc?x=1" -> the route "/chat/:roomId" with params.
//
// Hash routing keeps every screen on the one index.html the gateway serves, in every run mode,
// with no server-side fallback to configure.

import { signal } from "@preact/signals";

import { type Location, parse } from "./paths";

export { match } from "./paths";

export const here = signal<Location>(parse(location.hash));
window.addEventListener("hashchange", () => {
  here.value = parse(location.hash);
});

export function navigate(path: string, { replace = false } = {}): void {
  const hash = `#${path}`;
  if (replace) {
    history.replaceState(null, "", hash);
    here.value = parse(hash);
  } else {
    location.hash = hash;
  }
}
