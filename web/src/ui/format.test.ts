import { describe, expect, it } from "vitest";
import { ago, daysBetween, initialOf, plural } from "./format";

describe("ago", () => {
  const now = Date.parse("2026-12-06T12:00:00Z");
  it("rounds down to what a person reads", () => {
    expect(ago("2026-12-06T11:59:30Z", now)).toBe("just now");
    expect(ago("2026-12-06T11:57:00Z", now)).toBe("3 min ago");
    expect(ago("2026-12-06T11:55:00Z", new Date(now))).toBe("5 min ago");
    expect(ago("2026-12-06T10:00:00Z", now)).toBe("2 h ago");
    expect(ago("2026-12-05T12:00:00Z", now)).toBe("1 day ago");
    expect(ago("2026-12-02T11:00:00Z", now)).toBe("4 days ago");
  });
  it("says just now for a moment a little in the future (clock skew)", () => {
    expect(ago("2026-12-06T12:00:05Z", now)).toBe("just now");
  });
});

describe("daysBetween", () => {
  it("counts calendar days, not 24-hour spans", () => {
    const late = new Date(2026, 11, 5, 23, 50);
    const early = new Date(2026, 11, 6, 0, 10);
    expect(daysBetween(late, early)).toBe(1);
    expect(daysBetween(early, late)).toBe(-1);
    expect(daysBetween(early, early)).toBe(0);
  });
});

describe("words", () => {
  it("counts with the right noun", () => {
    expect(plural(1, "zone")).toBe("1 zone");
    expect(plural(3, "zone")).toBe("3 zones");
    expect(plural(2, "person", "people")).toBe("2 people");
  });
  it("takes an avatar's initial from the name", () => {
    expect(initialOf(" ada")).toBe("A");
    expect(initialOf("")).toBe("?");
  });
});
