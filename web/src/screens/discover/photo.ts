// Other people's photos, where they chose to show one to people nearby: read with the bearer
// token (an <img src> cannot carry it) and shown from a blob URL, once per person per tab.

import { useEffect, useState } from "preact/hooks";
import { authed } from "../../api/client";
import { session } from "../../api/session";

const photos = new Map<string, Promise<string | null>>();

async function load(userId: string): Promise<string | null> {
  try {
    const profile = await authed<{ photoUrl?: string | null }>(
      `/v1/users/${encodeURIComponent(userId)}`,
    );
    if (!profile.photoUrl || !session.token) return null;
    const answer = await fetch(profile.photoUrl, {
      headers: { Authorization: `Bearer ${session.token}` },
    });
    return answer.ok ? URL.createObjectURL(await answer.blob()) : null;
  } catch {
    return null; // the initial stands in: a photo is never worth an error message
  }
}

/** The person's photo as a URL to show, or null (none shown to you, or not loaded yet). */
export function usePhoto(userId: string): string | null {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    let pending = photos.get(userId);
    if (!pending) {
      pending = load(userId);
      photos.set(userId, pending);
    }
    void pending.then((found) => {
      if (live) setUrl(found);
    });
    return () => {
      live = false;
    };
  }, [userId]);
  return url;
}

/** Drops every photo read (on sign-out: the next person sees only what is shown to them). */
export function forgetPhotos(): void {
  for (const pending of photos.values()) {
    void pending.then((url) => url && URL.revokeObjectURL(url));
  }
  photos.clear();
}
