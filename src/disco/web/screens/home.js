import { authed } from "../lib/api.js";
import { errorBox, h, showError } from "../lib/dom.js";
import { live } from "../lib/live.js";

export const title = "Home";
export const needsSession = true;

const MAX_FRAMES = 50;
const STATES = {
  connecting: "Connecting…",
  connected: "Connected",
  disconnected: "Disconnected",
};

export function render({ onDispose }) {
  return h("div", { class: "stack" }, profile(), livePanel(onDispose));
}

function profile() {
  const box = errorBox();
  const body = h("div", { "aria-busy": "true" }, h("p", { class: "muted" }, "Loading…"));
  const card = h("section", { class: "card" }, h("h1", {}, "Your account"), body, box);
  authed("/v1/auth/me")
    .then((me) => {
      body.replaceChildren(
        h("p", { class: "greeting" }, "Signed in as ", h("strong", { id: "me-name" }, me.name)),
        h(
          "dl",
          { class: "facts" },
          h("dt", {}, "Email"),
          h("dd", {}, me.email),
          h("dt", {}, "Email status"),
          h("dd", { id: "email-status" }, verification(me)),
        ),
      );
    })
    .catch((error) => showError(box, error))
    .finally(() => body.removeAttribute("aria-busy"));
  return card;
}

function verification(me) {
  if (me.emailVerified) return h("span", { class: "badge ok" }, "Verified");
  const box = errorBox();
  const resend = h("button", { type: "button", class: "link" }, "Send the link again");
  resend.addEventListener("click", async () => {
    resend.disabled = true;
    try {
      await authed("/v1/auth/verify-email/resend", { method: "POST" });
      resend.replaceWith(h("span", { role: "status" }, "Sent. Check your inbox."));
    } catch (error) {
      showError(box, error);
      resend.disabled = false;
    }
  });
  return [h("span", { class: "badge" }, "Not verified yet"), " ", resend, box];
}

function livePanel(onDispose) {
  const state = h("span", { class: "state", role: "status" });
  const pong = h("p", { class: "pong", "aria-live": "polite" });
  const frames = h("ol", { class: "frames", "aria-label": "Incoming frames" });
  const ping = h("button", { type: "button" }, "Ping");
  const toggle = h("button", { type: "button", class: "secondary" });

  const showState = () => {
    state.dataset.state = live.state;
    const retry = live.state === "disconnected" && live.retryInMs;
    state.textContent = retry
      ? `${STATES.disconnected}, retrying in ${Math.ceil(live.retryInMs / 1000)} s`
      : STATES[live.state];
    ping.disabled = live.state !== "connected";
    toggle.textContent = live.state === "disconnected" ? "Connect" : "Disconnect";
  };
  const onFrame = ({ detail: frame }) => {
    if (frame.type === "pong") {
      if (frame.data?.heartbeat) return;
      const rtt = Math.round(performance.now() - frame.data?.sentAt);
      pong.textContent = Number.isFinite(rtt) ? `Pong received in ${rtt} ms` : "Pong received";
    }
    frames.prepend(
      h(
        "li",
        { class: `frame frame-${frame.type}` },
        h("span", { class: "frame-type" }, String(frame.type)),
        h("time", { datetime: new Date().toISOString() }, new Date().toLocaleTimeString()),
        h("code", {}, JSON.stringify(frame.data ?? {})),
      ),
    );
    while (frames.children.length > MAX_FRAMES) frames.lastElementChild.remove();
  };
  ping.addEventListener("click", () => {
    pong.textContent = "Waiting for pong…";
    live.send("ping", { sentAt: Math.round(performance.now()) });
  });
  toggle.addEventListener("click", () =>
    live.state === "disconnected" ? live.connect() : live.disconnect(),
  );

  live.addEventListener("state", showState);
  live.addEventListener("frame", onFrame);
  onDispose(() => {
    live.removeEventListener("state", showState);
    live.removeEventListener("frame", onFrame);
  });
  showState();

  return h(
    "section",
    { class: "card", "aria-labelledby": "live-title" },
    h("div", { class: "panel-head" }, h("h2", { id: "live-title" }, "Live connection"), state),
    h("div", { class: "actions" }, ping, toggle),
    pong,
    h("h3", {}, "Incoming frames"),
    frames,
    h("p", { class: "muted empty-hint" }, "Frames from the server appear here as they arrive."),
  );
}
