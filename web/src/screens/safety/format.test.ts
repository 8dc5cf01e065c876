import { describe, expect, it } from "vitest";
import { dayAndTime, dueIn, fromLocalInput, toLocalInput } from "./format";

describe("dueIn", () => {
  const now = Date.parse("2026-12-06T12:00:00Z");
  it("counts to the due time, and past it", () => {
    expect(dueIn("2026-12-06T12:25:00Z", now)).toBe("in 25 min");
    expect(dueIn("2026-12-06T14:05:00Z", now)).toBe("in 2 h 5 min");
    expect(dueIn("2026-12-06T13:00:00Z", now)).toBe("in 1 h");
    expect(dueIn("2026-12-06T11:55:00Z", now)).toBe("5 min late");
  });
});

describe("dayAndTime", () => {
  it("names today and tomorrow", () => {
    const now = new Date(2026, 11, 6, 9, 0);
    expect(dayAndTime(new Date(2026, 11, 6, 14, 5).toISOString(), now, "en-GB")).toBe(
      "Today at 14:05",
    );
    expect(dayAndTime(new Date(2026, 11, 7, 9, 30).toISOString(), now, "en-GB")).toBe(
      "Tomorrow at 9:30",
    );
  });
});

describe("local inputs", () => {
  it("round-trips a moment through a datetime-local value", () => {
    const moment = new Date(2026, 11, 6, 19, 30);
    expect(toLocalInput(moment)).toBe("2026-12-06T19:30");
    expect(fromLocalInput("2026-12-06T19:30")).toBe(moment.toISOString());
    expect(fromLocalInput("tomorrow")).toBeNull();
  });
});
