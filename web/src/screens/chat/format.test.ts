import { describe, expect, it } from "vitest";
import {
  dayLabel,
  digitGroups,
  durationText,
  mergeMessages,
  presenceText,
  receiptOf,
  runsOn,
  startsDay,
} from "./format";

const now = new Date(2026, 11, 6, 15, 0);
const at = (days: number, hours = 12, minutes = 0) =>
  new Date(2026, 11, 6 - days, hours, minutes).toISOString();

describe("day separators", () => {
  it("names today, yesterday, the week's days and older dates", () => {
    expect(dayLabel(at(0), now)).toBe("Today");
    expect(dayLabel(at(1), now)).toBe("Yesterday");
    expect(dayLabel(at(3), now)).toBe(new Date(at(3)).toLocaleDateString([], { weekday: "long" }));
    expect(dayLabel(at(40), now)).not.toMatch(/day$/);
  });

  it("starts a day at the first message and whenever the local day changes", () => {
    const items = [{ sentAt: at(1, 23) }, { sentAt: at(0, 0, 5) }, { sentAt: at(0, 9) }];
    expect([0, 1, 2].map((i) => startsDay(items, i))).toEqual([true, true, false]);
  });
});

describe("runs", () => {
  it("joins one sender's messages within a minute", () => {
    const t = (seconds: number) => new Date(now.getTime() + seconds * 1000).toISOString();
    const items = [
      { senderId: "a", sentAt: t(0) },
      { senderId: "a", sentAt: t(30) },
      { senderId: "a", sentAt: t(200) },
      { senderId: "b", sentAt: t(210) },
    ];
    expect(items.map((_, i) => runsOn(items, i))).toEqual([true, false, false, false]);
  });
});

describe("presence", () => {
  it("says nothing when presence is not shared", () => {
    expect(presenceText(null, null, now)).toBeNull();
    expect(presenceText(undefined, null, now)).toBeNull();
  });

  it("says online, or how long ago the person was seen", () => {
    expect(presenceText(true, null, now)).toBe("Online");
    const fiveMinutes = new Date(now.getTime() - 5 * 60_000).toISOString();
    expect(presenceText(false, fiveMinutes, now)).toBe("Last seen 5 min ago");
    expect(presenceText(false, at(1, 9), now)).toMatch(/^Last seen yesterday at /);
    expect(presenceText(false, null, now)).toBe("Offline");
  });
});

describe("receipts", () => {
  it("reads read, then delivered, then sent", () => {
    expect(receiptOf(3, 5, 3)).toBe("read");
    expect(receiptOf(4, 5, 3)).toBe("delivered");
    expect(receiptOf(6, 5, 3)).toBe("sent");
    expect(receiptOf(2, 5, null)).toBe("delivered"); // read receipts not shared
  });
});

describe("messages", () => {
  it("merges by id and orders by sequence", () => {
    const merged = mergeMessages(
      [
        { id: "b", seq: 2, v: 1 },
        { id: "c", seq: 3, v: 1 },
      ],
      [
        { id: "a", seq: 1, v: 2 },
        { id: "b", seq: 2, v: 2 },
      ],
    );
    expect(merged.map((m) => `${m.id}${m.v}`)).toEqual(["a2", "b2", "c1"]);
  });
});

describe("small words", () => {
  it("groups a safety number in fives", () => {
    const digits = "0123456789".repeat(6);
    const groups = digitGroups(digits);
    expect(groups).toHaveLength(12);
    expect(groups[0]).toBe("01234");
    expect(groups.join("")).toBe(digits);
  });

  it("names timers", () => {
    expect(durationText(86400)).toBe("1 day");
    expect(durationText(8 * 3600)).toBe("8 hours");
    expect(durationText(300)).toBe("5 minutes");
  });
});
