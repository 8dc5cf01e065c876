// What the safety area does with live frames whatever screen is showing (started once, in
// main): a notice for the person's own alert and for a check-in reminder, and the meetup
// heartbeat picked up again after a reload.

import { effect } from "@preact/signals";
import { onFrame } from "../../api/live";
import { current } from "../../api/session";
import { here } from "../../router";
import { toast } from "../../ui/toasts";
import { beating, resumeHeartbeat, stopHeartbeat } from "./heartbeat";

function text(data: Record<string, unknown>, fallback: string): string {
  return typeof data.subject === "string" && data.subject ? data.subject : fallback;
}

export function startSafetyLive(): void {
  onFrame("safety_alert", (data) => {
    // The alert screen says it all already, in large type.
    if (here.value.path === "/alert") return;
    const active = data.status === "ACTIVE";
    toast(text(data, "Your emergency alert changed."), {
      href: active ? "#/alert" : "#/safety",
      tone: active ? "warning" : "info",
    });
  });
  onFrame("checkin_reminder", (data) => {
    const id = typeof data.checkinId === "string" ? data.checkinId : null;
    toast(text(data, "Your safety check-in is due soon: confirm you are fine."), {
      href: id ? `#/safety/checkins/${encodeURIComponent(id)}` : "#/safety/checkins",
      tone: "warning",
    });
  });
  resumeHeartbeat();
  // A meetup's heartbeat belongs to the session that started it.
  effect(() => {
    if (!current.value && beating.peek()) stopHeartbeat();
  });
}
