// A tiny hash router: "#/reset-password?token=abc" -> the "/reset-password" screen.
//
// A screen is a module exporting { title, needsSession?, render({ params, onDispose }) }, where
// render returns the screen's element and onDispose(fn) registers clean-up for when it leaves.

export function parseHash(hash) {
  const target = hash.replace(/^#/, "");
  const cut = target.indexOf("?");
  const path = cut === -1 ? target : target.slice(0, cut);
  const query = cut === -1 ? "" : target.slice(cut + 1);
  return { path: path || "/", params: new URLSearchParams(query) };
}

export function navigate(path) {
  location.hash = `#${path}`;
}

export class Router {
  current = null;
  #disposers = [];

  /**
   * routes: { "/path": screen }; notFound: the screen for anything else;
   * guard(screen, path): a path to go to instead (e.g. sign-in), or null to show the screen.
   */
  constructor({ outlet, routes, notFound, guard }) {
    Object.assign(this, { outlet, routes, notFound, guard });
  }

  start() {
    window.addEventListener("hashchange", () => this.render());
    this.render();
  }

  render() {
    const { path, params } = parseHash(location.hash);
    const screen = this.routes[path] ?? this.notFound;
    const detour = this.guard(screen, path);
    if (detour) {
      navigate(detour);
      return;
    }
    for (const dispose of this.#disposers.splice(0)) dispose();
    this.current = screen;
    const element = screen.render({
      params,
      onDispose: (fn) => this.#disposers.push(fn),
    });
    this.outlet.replaceChildren(element);
    document.title = `${screen.title} · Disco`;
    // Move focus to the new screen's heading, as a page load would, for keyboard and AT users.
    const heading = this.outlet.querySelector("h1");
    if (heading) {
      heading.tabIndex = -1;
      heading.focus({ preventScroll: true });
    }
  }
}
