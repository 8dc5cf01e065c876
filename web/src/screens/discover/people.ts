// Who is near and who asked to connect: signals the Discover screen shows and the live frames
// refresh, wherever the person is in the app.

import { signal } from "@preact/signals";
import { authed, messageOf } from "../../api/client";
import type { Connection, NearbyPerson } from "./model";

/** null until first read. */
export const nearby = signal<NearbyPerson[] | null>(null);
export const nearbyError = signal<string | null>(null);
export const connections = signal<Connection[] | null>(null);
export const connectionsError = signal<string | null>(null);

export async function refreshNearby(): Promise<void> {
  try {
    nearby.value = (await authed<{ nearby: NearbyPerson[] }>("/v1/discovery/nearby")).nearby;
    nearbyError.value = null;
  } catch (error) {
    nearbyError.value = messageOf(error);
  }
}

export async function refreshConnections(): Promise<Connection[] | null> {
  try {
    const list = (await authed<{ connections: Connection[] }>("/v1/connections")).connections;
    connections.value = list;
    connectionsError.value = null;
    return list;
  } catch (error) {
    connectionsError.value = messageOf(error);
    return null;
  }
}

/** Puts one answered request in place, so the screen changes without another round trip. */
export function replaceConnection(updated: Connection): void {
  const list = connections.value ?? [];
  const others = list.filter((c) => c.id !== updated.id);
  connections.value = [updated, ...others];
}

/** The connection with someone, if any. */
export function connectionWith(userId: string): Connection | undefined {
  return connections.value?.find((c) => c.userId === userId);
}

export function forgetPeople(): void {
  nearby.value = null;
  connections.value = null;
}
