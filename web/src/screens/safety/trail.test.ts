import { describe, expect, it } from "vitest";
import { distanceLabel, layout } from "./trail";

describe("layout", () => {
  it("puts a single point in the middle", () => {
    const { points } = layout([{ latitude: 45.76, longitude: 4.83 }], 300, 200);
    expect(points).toEqual([{ x: 150, y: 100 }]);
  });

  it("keeps north up and east right, within the padding", () => {
    const trail = [
      { latitude: 45.76, longitude: 4.83 },
      { latitude: 45.77, longitude: 4.84 }, // about 1.1 km north, 0.8 km east
    ];
    const { points } = layout(trail, 300, 200, 20);
    const [a, b] = points as [{ x: number; y: number }, { x: number; y: number }];
    expect(b.x).toBeGreaterThan(a.x);
    expect(b.y).toBeLessThan(a.y);
    for (const p of points) {
      expect(p.x).toBeGreaterThanOrEqual(20);
      expect(p.x).toBeLessThanOrEqual(280);
      expect(p.y).toBeGreaterThanOrEqual(20);
      expect(p.y).toBeLessThanOrEqual(180);
    }
    // The same scale both ways: the taller span fills the height.
    expect(a.y - b.y).toBeCloseTo(160, 0);
  });

  it("gives a round scale bar no longer than a quarter of the width", () => {
    const { scale } = layout([{ latitude: 0, longitude: 0 }], 400, 200, 0);
    expect(scale.meters).toBe(50); // 200 m across 400 units: a quarter is 50 m
    expect(scale.length).toBe(100);
  });
});

describe("distanceLabel", () => {
  it("switches to kilometres", () => {
    expect(distanceLabel(500)).toBe("500 m");
    expect(distanceLabel(2000)).toBe("2 km");
  });
});
