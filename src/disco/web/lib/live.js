// The live connection (/v1/ws): one per signed-in tab, shared by every screen.
//
// Frames are {"type", "data"}. The access token travels as a "bearer.<token>" subprotocol
// beside "disco.v1", so it never appears in a URL or an access log.

import { renew } from "./api.js";
import { session } from "./session.js";

const SUBPROTOCOL = "disco.v1";
const CLOSE_UNAUTHORIZED = 4401;
const MAX_BACKOFF_MS = 30_000;
// The server closes a socket that stays silent too long (its "ready" frame says how long);
// a quiet page is not a gone one, so it pings well within that.
const HEARTBEAT_MS = 25_000;

class Live extends EventTarget {
  state = "disconnected"; // "connecting" | "connected" | "disconnected"
  retryInMs = null;
  #socket = null;
  #retryTimer = null;
  #heartbeat = null;
  #failures = 0;

  connect() {
    if (this.#socket || !session.signedIn) return;
    clearTimeout(this.#retryTimer);
    this.retryInMs = null;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/v1/ws`, [
      SUBPROTOCOL,
      `bearer.${session.token}`,
    ]);
    this.#socket = socket;
    this.#set("connecting");
    let opened = false;
    socket.addEventListener("open", () => {
      opened = true;
      this.#failures = 0;
      this.#beat(HEARTBEAT_MS);
      this.#set("connected");
    });
    socket.addEventListener("message", (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      const idle = frame?.type === "ready" ? frame.data?.idleTimeoutSeconds : undefined;
      if (idle > 0) this.#beat(Math.max(5_000, (idle * 1000) / 3));
      this.dispatchEvent(new CustomEvent("frame", { detail: frame }));
    });
    socket.addEventListener("close", (event) => this.#closed(socket, event, opened));
  }

  disconnect() {
    clearTimeout(this.#retryTimer);
    clearInterval(this.#heartbeat);
    this.retryInMs = null;
    const socket = this.#socket;
    this.#socket = null;
    socket?.close(1000, "bye");
    this.#set("disconnected");
  }

  /** Sends a frame; false when there is no open connection to send it on. */
  send(type, data = {}) {
    if (this.#socket?.readyState !== WebSocket.OPEN) return false;
    this.#socket.send(JSON.stringify({ type, data }));
    return true;
  }

  #beat(everyMs) {
    clearInterval(this.#heartbeat);
    this.#heartbeat = setInterval(() => this.send("ping", { heartbeat: true }), everyMs);
  }

  async #closed(socket, event, opened) {
    if (socket !== this.#socket) return; // closed on purpose, or replaced
    this.#socket = null;
    clearInterval(this.#heartbeat);
    this.#failures += 1;
    // Cut off because its token expired, or refused at the handshake (which a page cannot tell
    // apart from an unreachable server): renew the token before trying again. A revoked
    // session fails to renew and signs the tab out.
    if (event.code === CLOSE_UNAUTHORIZED || !opened) {
      try {
        await renew();
      } catch {
        // Signed out by the failed renewal, or offline: the back-off below decides.
      }
      if (this.#socket) return; // the renewal already opened a fresh one
    }
    if (!session.signedIn) {
      this.#set("disconnected");
      return;
    }
    this.retryInMs = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.#failures);
    this.#set("disconnected");
    this.#retryTimer = setTimeout(() => this.connect(), this.retryInMs);
  }

  #set(state) {
    this.state = state;
    this.dispatchEvent(new Event("state"));
  }
}

export const live = new Live();

session.addEventListener("change", () => {
  if (!session.signedIn) live.disconnect();
  // An open socket would be closed when the old token expires; hand it the new one.
  else if (!live.send("auth", { token: session.token })) live.connect();
});
