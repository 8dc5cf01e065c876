// Discovery: switch it on, share where you are, and hear who comes near.
//
// The position comes from the browser (with the user's permission). While discovery is on, the
// page sends a location_update frame every SEND_EVERY_MS; the server answers with `nearby`
// frames when someone compatible comes within both radii, and the list shows who is near now.
// Nobody's position is ever shown: only a distance bucket ("within 500 ft").

import { authed } from "../lib/api.js";
import { errorBox, field, h, onSubmit, showError } from "../lib/dom.js";
import { live } from "../lib/live.js";

export const title = "Discover";
export const needsSession = true;

const SEND_EVERY_MS = 5_000;
const REFRESH_EVERY_MS = 15_000;

export function render({ onDispose }) {
  const box = errorBox();
  const status = h("p", { class: "muted", id: "discovery-status", role: "status" }, "Loading…");
  const toggle = h("button", { type: "button", disabled: true }, "Turn discovery on");
  const where = h("p", { class: "muted", id: "position-status" }, "");
  const alerts = h("ol", { class: "frames", "aria-label": "Nearby notifications" });
  const people = h("ul", { class: "people", "aria-label": "People near you" });

  let enabled = false;
  let position = null;
  let sender = null;

  const showState = () => {
    status.textContent = enabled
      ? "Discovery is on: people whose interests fit yours will be told you are near."
      : "Discovery is off: nobody sees you, and you see nobody.";
    toggle.textContent = enabled ? "Turn discovery off" : "Turn discovery on";
    toggle.disabled = false;
  };

  const send = () => {
    if (!enabled || !position) return;
    live.send("location_update", position);
  };

  const refresh = async () => {
    if (!enabled) {
      people.replaceChildren();
      return;
    }
    try {
      const { nearby } = await authed("/v1/discovery/nearby");
      people.replaceChildren(
        ...(nearby.length
          ? nearby.map((p) => h("li", { class: "person" }, personLine(p)))
          : [h("li", { class: "muted" }, "Nobody near right now.")]),
      );
    } catch (error) {
      showError(box, error);
    }
  };

  const watch = navigator.geolocation?.watchPosition(
    (fix) => {
      position = {
        latitude: fix.coords.latitude,
        longitude: fix.coords.longitude,
        accuracy: fix.coords.accuracy,
      };
      where.textContent = `Sharing your position (accurate to ${Math.round(fix.coords.accuracy)} m) with Disco only.`;
      send();
    },
    () => {
      where.textContent = "Allow location access to be discovered.";
    },
    { enableHighAccuracy: true, maximumAge: 10_000 },
  );

  toggle.addEventListener("click", async () => {
    toggle.disabled = true;
    try {
      const state = await authed("/v1/discovery", {
        method: "PUT",
        body: { enabled: !enabled },
      });
      enabled = state.enabled;
      showState();
      send();
      refresh();
    } catch (error) {
      showError(box, error);
      toggle.disabled = false;
    }
  });

  const onFrame = ({ detail: frame }) => {
    if (frame.type !== "nearby") return;
    alerts.prepend(
      h(
        "li",
        { class: "frame frame-nearby" },
        h("strong", {}, frame.data?.name ?? "Someone"),
        ` is ${frame.data?.distance ?? "near"}`,
        sharedText(frame.data?.sharedInterests),
      ),
    );
    refresh();
  };
  live.addEventListener("frame", onFrame);
  sender = setInterval(send, SEND_EVERY_MS);
  const refresher = setInterval(refresh, REFRESH_EVERY_MS);
  onDispose(() => {
    live.removeEventListener("frame", onFrame);
    clearInterval(sender);
    clearInterval(refresher);
    if (watch !== undefined) navigator.geolocation.clearWatch(watch);
  });

  authed("/v1/discovery")
    .then((state) => {
      enabled = state.enabled;
      showState();
      refresh();
    })
    .catch((error) => showError(box, error));

  return h(
    "div",
    { class: "stack" },
    h(
      "section",
      { class: "card", "aria-labelledby": "discover-title" },
      h("h1", { id: "discover-title" }, "Discover"),
      status,
      where,
      h("div", { class: "actions" }, toggle),
      box,
    ),
    interestsCard(),
    h(
      "section",
      { class: "card", "aria-labelledby": "near-title" },
      h("h2", { id: "near-title" }, "Near you now"),
      people,
      h("h3", {}, "Notifications"),
      alerts,
    ),
  );
}

function personLine(person) {
  return [h("strong", {}, person.name), ` · ${person.distance}`, sharedText(person.sharedInterests)];
}

function sharedText(shared) {
  return shared?.length ? ` · shared: ${shared.join(", ")}` : "";
}

// Matching scores shared interests, so they are editable right here.
function interestsCard() {
  const box = errorBox();
  const saved = h("p", { role: "status", class: "muted" });
  const form = h(
    "form",
    { novalidate: true },
    field("Interests (comma separated)", { name: "interests", autocomplete: "off" }),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Save interests")),
  );
  // Editable once the current interests are in, so a late answer never overwrites typing.
  const input = form.elements.namedItem("interests");
  input.disabled = true;
  authed("/v1/users/me")
    .then((me) => {
      input.value = (me.interests ?? []).join(", ");
      input.disabled = false;
    })
    .catch((error) => showError(box, error));
  onSubmit(form, box, async ({ interests }) => {
    const list = interests
      .split(",")
      .map((tag) => tag.trim())
      .filter(Boolean);
    const me = await authed("/v1/users/me", { method: "PATCH", body: { interests: list } });
    input.value = (me.interests ?? []).join(", ");
    saved.textContent = "Saved.";
  });
  return h(
    "section",
    { class: "card", "aria-labelledby": "interests-title" },
    h("h2", { id: "interests-title" }, "Your interests"),
    form,
    saved,
    box,
  );
}
