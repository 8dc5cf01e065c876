import { h } from "../lib/dom.js";

export const title = "Not found";

export function render() {
  return h(
    "section",
    { class: "card narrow" },
    h("h1", {}, "Nothing here"),
    h("p", {}, "That page does not exist. ", h("a", { href: "#/" }, "Go home")),
  );
}
