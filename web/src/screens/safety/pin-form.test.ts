import { describe, expect, it } from "vitest";
import { pinProblems } from "./pin-form";

const ok: { pin: string; repeat: string; duressPin: string; currentPin: string | null } = {
  pin: "2468",
  repeat: "2468",
  duressPin: "",
  currentPin: null,
};

describe("pinProblems", () => {
  it("accepts 4 to 12 digits, repeated", () => {
    expect(pinProblems(ok)).toEqual([]);
    expect(pinProblems({ ...ok, duressPin: "1357", currentPin: "1111" })).toEqual([]);
  });

  it("names the field at fault", () => {
    const fields = (values: Partial<typeof ok>) =>
      pinProblems({ ...ok, ...values }).map((p) => p.field);
    expect(fields({ pin: "12", repeat: "12" })).toEqual(["pin"]);
    expect(fields({ repeat: "2469" })).toEqual(["repeat"]);
    expect(fields({ duressPin: "2468" })).toEqual(["duressPin"]);
    expect(fields({ duressPin: "12a4" })).toEqual(["duressPin"]);
    expect(fields({ currentPin: "" })).toEqual(["currentPin"]);
  });
});
