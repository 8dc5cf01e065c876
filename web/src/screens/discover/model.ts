// The shapes the match service answers with (src/disco/match/*/schemas.py), camelCase.
// None of them carries another person's coordinate: a distance bucket's label at most.

export interface DiscoveryState {
  enabled: boolean;
  /** ISO time at which discovery switches itself off; null: until turned off. */
  until: string | null;
}

export interface LocationAck {
  accepted: boolean;
  reason?: string | null;
}

export interface NearbyPerson {
  userId: string;
  name: string;
  sharedInterests: string[];
  /** A bucket label: "within 500 ft", "within ¼ mile"... */
  distance: string;
}

export interface Connection {
  id: string;
  userId: string;
  name: string;
  direction: "incoming" | "outgoing";
  status: "pending" | "declined" | "accepted";
  requestedAt: string;
  matchId: string | null;
}

export interface LocalEvent {
  id: string;
  title: string;
  description: string;
  startsAt: string;
  endsAt: string;
  latitude: number;
  longitude: number;
  place: string | null;
  capacity: number | null;
  attendees: number;
  joined: boolean;
  hosting: boolean;
  distanceMeters?: number | null;
}

export interface Room {
  id: string;
  matchId: string;
  peer: { userId: string; name: string };
  status: "open" | "closed";
}
