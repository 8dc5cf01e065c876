import { describe, expect, it } from "vitest";
import { angleFor, eventDistance, placeDots, refusalText, ringOf, untilFor } from "./logic";
import { addNote, markAllRead, type Note, parseNotes, unreadCount } from "./notify-list";

describe("ringOf", () => {
  it("puts each bucket on its ring, nearest first", () => {
    expect(ringOf("within 500 ft")).toBe(0);
    expect(ringOf("within ¼ mile")).toBe(1);
    expect(ringOf("within 1 mile")).toBe(3);
  });
  it("puts an unknown label on the outermost ring", () => {
    expect(ringOf("somewhere")).toBe(3);
  });
});

describe("angleFor", () => {
  it("is stable for a pair and within a circle", () => {
    const a = angleFor("me", "them");
    expect(angleFor("me", "them")).toBe(a);
    expect(a).toBeGreaterThanOrEqual(25);
    expect(a).toBeLessThan(336);
  });
  it("differs between people", () => {
    expect(angleFor("me", "a")).not.toBe(angleFor("me", "b"));
  });
});

describe("placeDots", () => {
  it("places people on the ring of their bucket", () => {
    const dots = placeDots(
      "me",
      [
        { userId: "a", name: "Ann", distance: "within 500 ft" },
        { userId: "b", name: "Bo", distance: "within 1 mile" },
      ],
      100,
    );
    const radius = (id: string) => {
      const dot = dots.find((d) => d.userId === id);
      return dot ? Math.hypot(dot.x, dot.y) : -1;
    };
    expect(radius("a")).toBeCloseTo(33.3, 0);
    expect(radius("b")).toBeCloseTo(100, 0);
  });
  it("keeps dots on one ring apart", () => {
    const people = ["a", "b", "c", "d", "e"].map((id) => ({
      userId: id,
      name: id,
      distance: "within ¼ mile",
    }));
    const dots = placeDots("me", people, 100);
    for (const one of dots) {
      for (const other of dots) {
        if (one !== other) expect(Math.hypot(one.x - other.x, one.y - other.y)).toBeGreaterThan(10);
      }
    }
  });
});

describe("untilFor", () => {
  const now = new Date(2026, 5, 1, 20, 15);
  it("is null until turned off", () => {
    expect(untilFor({ kind: "open" }, now)).toBeNull();
  });
  it("adds hours", () => {
    expect(untilFor({ kind: "hours", hours: 1 }, now)?.getTime()).toBe(now.getTime() + 3_600_000);
  });
  it("takes a later time today", () => {
    const at = untilFor({ kind: "at", time: "22:00" }, now);
    expect(at?.getDate()).toBe(1);
    expect(at?.getHours()).toBe(22);
  });
  it("takes a past time as tomorrow", () => {
    const at = untilFor({ kind: "at", time: "08:30" }, now);
    expect(at?.getDate()).toBe(2);
    expect(at?.getMinutes()).toBe(30);
  });
  it("ignores a malformed time", () => {
    expect(untilFor({ kind: "at", time: "" }, now)).toBeNull();
  });
});

describe("refusalText", () => {
  it("explains each reason the server gives", () => {
    expect(refusalText("inaccurate", 4000)).toContain("about 4000 m");
    expect(refusalText("privacy_zone")).toContain("privacy zones");
    expect(refusalText("profile_pending")).toContain("few seconds");
  });
  it("still says something for a reason it does not know", () => {
    expect(refusalText("new_thing")).toBe("Your location was not used (new thing).");
  });
});

describe("eventDistance", () => {
  it("rounds to feet near and miles further", () => {
    expect(eventDistance(100)).toBe("350 ft away");
    expect(eventDistance(1609.344 * 2.34)).toBe("2.3 mi away");
    expect(eventDistance(null)).toBeNull();
  });
});

describe("notes", () => {
  const note = (id: string, key?: string): Note => ({
    id,
    kind: "match",
    title: id,
    at: "2026-01-01T00:00:00Z",
    read: false,
    key,
  });
  it("adds at the top and replaces by key", () => {
    let notes = addNote([], note("1", "room:a"));
    notes = addNote(notes, note("2"));
    notes = addNote(notes, note("3", "room:a"));
    expect(notes.map((n) => n.id)).toEqual(["3", "2"]);
  });
  it("counts and clears unread ones", () => {
    const notes = [note("1"), { ...note("2"), read: true }];
    expect(unreadCount(notes)).toBe(1);
    expect(unreadCount(markAllRead(notes))).toBe(0);
  });
  it("reads back only well-formed notes", () => {
    expect(parseNotes("nonsense")).toEqual([]);
    expect(parseNotes(JSON.stringify([note("1"), { id: 2 }]))).toHaveLength(1);
  });
});
