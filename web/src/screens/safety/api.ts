// The safety API's shapes as the web app reads them (src/disco/safety/*/schemas.py and the
// users service's emergency contacts and privacy zones), and the calls the screens share.

import { authed, call } from "../../api/client";

export interface Position {
  latitude: number;
  longitude: number;
  accuracyMeters?: number | null;
}

export type AlertStatus = "ACTIVE" | "RESOLVED" | "CANCELLED";

export interface Alert {
  id: string;
  type: string;
  status: AlertStatus;
  createdAt: string;
  endedAt: string | null;
  location: Position | null;
  message: string | null;
  liveUrl?: string | null;
  /** Moderators' view only. */
  userId?: string | null;
  duress?: boolean | null;
}

export interface TrailPoint extends Position {
  recordedAt: string;
}

/** What an emergency contact sees through the link in the alert mail. */
export interface LiveView {
  id: string;
  name: string;
  type: string;
  status: AlertStatus;
  duress: boolean;
  createdAt: string;
  endedAt: string | null;
  message: string | null;
  location: TrailPoint | null;
  trail: TrailPoint[];
}

export interface Contact {
  id: string;
  name: string;
  email: string;
  phone: string | null;
  status: "pending" | "confirmed";
  createdAt: string;
}

export interface Zone {
  id: string;
  name: string;
  latitude: number;
  longitude: number;
  radiusMeters: number;
  expiresAt: string | null;
  createdAt: string;
}

export type CheckinStatus = "ACTIVE" | "CONFIRMED" | "CANCELLED" | "ESCALATED";

export interface Checkin {
  id: string;
  status: CheckinStatus;
  dueAt: string;
  matchId: string | null;
  place: string | null;
  note: string | null;
  createdAt: string;
  lastHeartbeatAt: string | null;
  confirmedAt: string | null;
  escalatedAt: string | null;
  escalationReason: "MISSED" | "SILENT" | null;
}

export interface Match {
  id: string;
  userId: string;
  name: string;
}

export interface Spot {
  id: string;
  name: string;
  category: string;
  latitude: number;
  longitude: number;
}

export interface MeetingSpots {
  basis: "both" | "you";
  spots: Spot[];
}

export interface Report {
  id: string;
  userId: string;
  reason: string;
  status: "OPEN" | "ACTIONED";
  createdAt: string;
  updatedAt: string;
}

export type ModerationAction = "warn" | "suspend" | "ban";

export interface ModerationReport extends Report {
  reporterId: string;
  details: string | null;
  messageIds: string[];
  messages: Record<string, unknown>[];
  actions: { id: string; action: ModerationAction; note: string | null; until: string | null }[];
  reportedTrust: { userId: string; score: number; ratings: number; reports: number };
}

export const safetyApi = {
  pinState: () => authed<{ set: boolean }>("/v1/safety/pin"),
  setPin: (body: { pin: string; duressPin?: string; currentPin?: string }) =>
    authed<null>("/v1/safety/pin", { method: "PUT", body }),

  alerts: () => authed<{ alerts: Alert[] }>("/v1/safety/alerts"),
  /** `key` is the app's own id for this one alert: every try of it is the same alert. */
  raise: (location: Position, key: string) =>
    authed<Alert>("/v1/safety/alerts", {
      method: "POST",
      body: { type: "EMERGENCY", location },
      headers: { "Idempotency-Key": key },
    }),
  sendPosition: (id: string, location: Position) =>
    authed<Alert>(`/v1/safety/alerts/${id}/location`, { method: "POST", body: location }),
  /**
   * Ends the person's own alert. Always "cancel": the duress PIN answers exactly as a cancel
   * does, so the screen that follows cannot differ whichever PIN was typed.
   */
  endAlert: (id: string, pin: string) =>
    authed<Alert>(`/v1/safety/alerts/${id}/cancel`, { method: "POST", body: { pin } }),
  live: (token: string) => call<LiveView>(`/v1/safety/live/${encodeURIComponent(token)}`),

  contacts: () => authed<{ contacts: Contact[] }>("/v1/users/me/emergency-contacts"),
  addContact: (body: { name: string; email: string; phone?: string }) =>
    authed<Contact>("/v1/users/me/emergency-contacts", { method: "POST", body }),
  removeContact: (id: string) =>
    authed<null>(`/v1/users/me/emergency-contacts/${id}`, { method: "DELETE" }),
  resendContact: (id: string) =>
    authed<Contact>(`/v1/users/me/emergency-contacts/${id}/resend`, { method: "POST" }),

  zones: () => authed<{ zones: Zone[] }>("/v1/users/me/privacy-zones"),
  addZone: (body: { name: string; latitude: number; longitude: number; radiusMeters: number }) =>
    authed<Zone>("/v1/users/me/privacy-zones", { method: "POST", body }),
  removeZone: (id: string) =>
    authed<null>(`/v1/users/me/privacy-zones/${id}`, { method: "DELETE" }),

  checkins: () => authed<{ checkins: Checkin[] }>("/v1/safety/checkins"),
  schedule: (body: {
    dueAt: string;
    matchId?: string;
    place?: string;
    note?: string;
    location?: Position;
  }) => authed<Checkin>("/v1/safety/checkins", { method: "POST", body }),
  confirm: (id: string) => authed<Checkin>(`/v1/safety/checkins/${id}/confirm`, { method: "POST" }),
  heartbeat: (id: string, location?: Position) =>
    authed<Checkin>(`/v1/safety/checkins/${id}/heartbeat`, {
      method: "POST",
      body: location ? { location } : {},
    }),
  cancelCheckin: (id: string) =>
    authed<Checkin>(`/v1/safety/checkins/${id}/cancel`, { method: "POST" }),
  matches: () => authed<{ matches: Match[] }>("/v1/matches?limit=50"),
  spots: (matchId: string, at: Position) =>
    authed<MeetingSpots>(
      `/v1/safety/meeting-spots?matchId=${encodeURIComponent(matchId)}&latitude=${at.latitude}&longitude=${at.longitude}`,
    ),
  rate: (body: { matchId: string; score: number; comment?: string }) =>
    authed<unknown>("/v1/safety/ratings", { method: "POST", body }),

  reports: () => authed<{ reports: Report[] }>("/v1/safety/reports"),
  queue: (status: "OPEN" | "ACTIONED") =>
    authed<{ reports: ModerationReport[] }>(`/v1/safety/moderation/reports?status=${status}`),
  act: (id: string, body: { action: ModerationAction; note?: string; until?: string }) =>
    authed<ModerationReport>(`/v1/safety/moderation/reports/${id}/actions`, {
      method: "POST",
      body,
    }),
  alertFeed: () => authed<{ alerts: Alert[] }>("/v1/safety/alerts?scope=moderation"),
  resolveAsModerator: (id: string) =>
    authed<Alert>(`/v1/safety/alerts/${id}/resolve`, { method: "POST" }),
};
