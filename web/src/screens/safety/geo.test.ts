import { describe, expect, it } from "vitest";
import { metersBetween, parsePosition, positionProblem, worthSending } from "./geo";

const LYON = { latitude: 45.7642, longitude: 4.8357 };

describe("metersBetween", () => {
  it("measures about 111 m per thousandth of a degree of latitude", () => {
    expect(metersBetween(LYON, { ...LYON, latitude: LYON.latitude + 0.001 })).toBeCloseTo(111, 0);
  });
});

describe("worthSending", () => {
  it("sends the first fix, a move of 10 m, or after 30 s", () => {
    expect(worthSending(null, LYON, 0)).toBe(true);
    const last = { at: 1000, position: LYON };
    expect(worthSending(last, { ...LYON, latitude: LYON.latitude + 0.00002 }, 2000)).toBe(false);
    expect(worthSending(last, { ...LYON, latitude: LYON.latitude + 0.0001 }, 2000)).toBe(true);
    expect(worthSending(last, LYON, 31_000)).toBe(true);
  });
});

describe("parsePosition", () => {
  it("reads typed coordinates", () => {
    expect(parsePosition(" 45.7642, 4.8357 ")).toEqual(LYON);
    expect(parsePosition("45.7642 4.8357")).toEqual(LYON);
    expect(parsePosition("-33.9; 151.2")).toEqual({ latitude: -33.9, longitude: 151.2 });
  });

  it("refuses what is not a position", () => {
    for (const text of ["", "45.7", "north", "91, 0", "0, 181", "1, 2, 3"]) {
      expect(parsePosition(text)).toBeNull();
    }
  });
});

describe("positionProblem", () => {
  it("says what to do about a refusal", () => {
    expect(positionProblem({ code: 1 })).toMatch(/Allow it/);
    expect(positionProblem({ code: 3 })).toMatch(/too long/);
  });
});
