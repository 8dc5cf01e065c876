// The web client's half of the live interop test with the Python SDK
// (tests/browser/test_e2ee_interop.py runs it against a running Disco, once per step, with
// DISCO_E2EE_INTEROP naming a JSON file of what to do). Without that variable it is skipped.
//
// Steps: "setup" opens this device (keys made and published); "exchange" reads the room's
// history and answers with `reply`. The device's state lives in a JSON file between steps
// (standing in for IndexedDB, which Node lacks).

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type Http, type PlainMessage, SecureChat, type ServerMessage } from "./index";
import type { KeyStore, MessageStore } from "./store";

interface Step {
  url: string;
  token: string;
  userId: string;
  peerId: string;
  roomId: string;
  statePath: string;
  outPath: string;
  step: "setup" | "exchange";
  reply?: string;
  report?: boolean; // report the peer with every message of theirs this device read
}

const config = process.env.DISCO_E2EE_INTEROP;

class FileStore implements KeyStore, MessageStore {
  constructor(private readonly path: string) {}
  private read(): { state: unknown; messages: Record<string, unknown> } {
    return existsSync(this.path)
      ? JSON.parse(readFileSync(this.path, "utf8"))
      : { state: null, messages: {} };
  }
  async load() {
    return this.read().state;
  }
  async save(state: unknown) {
    writeFileSync(this.path, JSON.stringify({ ...this.read(), state }));
  }
  async getMessage(id: string) {
    return this.read().messages[id] ?? null;
  }
  async putMessage(id: string, record: unknown) {
    const all = this.read();
    writeFileSync(
      this.path,
      JSON.stringify({ ...all, messages: { ...all.messages, [id]: record } }),
    );
  }
  async sweepExpired() {
    // Nothing expires within one test run.
  }
  async deleteMessage(id: string) {
    const all = this.read();
    delete all.messages[id];
    writeFileSync(this.path, JSON.stringify(all));
  }
}

function api(step: Step): Http {
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(step.url + path, {
      method,
      headers: {
        Authorization: `Bearer ${step.token}`,
        Accept: "application/json",
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok)
      throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return response.status === 204 ? null : response.json();
  };
  return {
    get: <T>(path: string) => call("GET", path) as Promise<T>,
    put: <T>(path: string, body: unknown) => call("PUT", path, body) as Promise<T>,
    post: <T>(path: string, body: unknown) => call("POST", path, body) as Promise<T>,
  };
}

describe.skipIf(!config)("interop with the Python SDK through a running server", () => {
  it("runs the step it is given", async () => {
    const step = JSON.parse(readFileSync(config as string, "utf8")) as Step;
    const http = api(step);
    const chat = await SecureChat.open(step.userId, http, { store: new FileStore(step.statePath) });
    const out: Record<string, unknown> = { deviceId: chat.deviceId, identityKey: chat.identityKey };
    if (step.step === "exchange") {
      const page = await http.get<{ messages: ServerMessage[] }>(
        `/v1/chats/rooms/${step.roomId}/messages?limit=100`,
      );
      const read = [];
      const theirs: PlainMessage[] = [];
      for (const message of page.messages) {
        const result = await chat.decrypt(message);
        if (!("reason" in result) && !result.mine) theirs.push(result);
        read.push(
          "reason" in result
            ? { id: result.id, reason: result.reason }
            : { id: result.id, text: result.text, mine: result.mine },
        );
      }
      out.read = read;
      out.safetyNumber = (await chat.safetyNumber(step.peerId)).digits;
      if (step.report) out.report = await chat.report(step.peerId, "threat", theirs);
      if (step.reply !== undefined)
        out.sent = (await chat.send(step.roomId, step.peerId, step.reply)).id;
    }
    writeFileSync(step.outPath, JSON.stringify(out));
    expect(out.deviceId).toBeTruthy();
  });
});
