import { describe, expect, it } from "vitest";
import {
  activityLabel,
  describeDays,
  describeFeet,
  disclose,
  feetFromMeters,
  metersFromFeet,
  nextPath,
  resolveInterest,
  suggestInterests,
} from "./logic";

const taxonomy = {
  categories: {
    outdoors: ["hiking", "running", "rock climbing"],
    food: ["coffee", "cooking", "craft beer"],
    sports: ["football", "chess"],
  },
  synonyms: { soccer: "football", climbing: "rock climbing", hike: "hiking" },
};

describe("radius", () => {
  it("spans 100 ft to a mile in the API's meters", () => {
    expect(metersFromFeet(100)).toBe(30);
    expect(metersFromFeet(5280)).toBe(1609);
    expect(metersFromFeet(10)).toBe(30);
    expect(feetFromMeters(1609)).toBe(5280);
    expect(feetFromMeters(30)).toBe(100);
  });
  it("reads in feet, then miles", () => {
    expect(describeFeet(100)).toBe("100 ft");
    expect(describeFeet(950)).toBe("950 ft");
    expect(describeFeet(2640)).toBe("0.5 mi");
    expect(describeFeet(5280)).toBe("1 mile");
  });
});

describe("interest suggestions", () => {
  it("puts tags that start with the text first and leaves out chosen ones", () => {
    expect(suggestInterests("co", taxonomy, [])).toEqual(["coffee", "cooking"]);
    expect(suggestInterests("co", taxonomy, ["coffee"])).toEqual(["cooking"]);
  });
  it("finds words inside a tag and synonyms' targets", () => {
    expect(suggestInterests("climb", taxonomy, [])).toEqual(["rock climbing"]);
    expect(suggestInterests("socc", taxonomy, [])).toEqual(["football"]);
  });
  it("suggests nothing for blank text", () => {
    expect(suggestInterests("  ", taxonomy, [])).toEqual([]);
  });
  it("resolves a free tag as the server would", () => {
    expect(resolveInterest("  #Soccer ", taxonomy.synonyms)).toBe("football");
    expect(resolveInterest("Urban  Sketching", taxonomy.synonyms)).toBe("urban sketching");
  });
});

describe("next path", () => {
  it("keeps an in-app path", () => {
    expect(nextPath("/me/settings?x=1")).toBe("/me/settings?x=1");
  });
  it("refuses other sites and signed-out screens", () => {
    expect(nextPath("//evil.example")).toBe("/discover");
    expect(nextPath("https://evil.example")).toBe("/discover");
    expect(nextPath("/login")).toBe("/discover");
    expect(nextPath(null)).toBe("/discover");
  });
});

describe("labels", () => {
  it("names activities and day ranges as a person would", () => {
    expect(activityLabel("quick_chat")).toBe("Quick chat");
    expect(describeDays(["mon", "tue", "wed", "thu", "fri"])).toBe("Mon–Fri");
    expect(describeDays(["sun", "sat"])).toBe("Sat, Sun");
    expect(describeDays(["mon", "wed"])).toBe("Mon, Wed");
  });
});

describe("visibility", () => {
  const hidden = {
    lastName: false,
    bio: false,
    photo: false,
    allInterests: false,
    activities: false,
  };
  const base = { nearby: { ...hidden }, match: { ...hidden } };
  it("shows matches whatever strangers see", () => {
    const next = disclose(base, "nearby", "photo", true);
    expect(next.nearby.photo).toBe(true);
    expect(next.match.photo).toBe(true);
    expect(base.nearby.photo).toBe(false);
  });
  it("hides from strangers what matches do not see", () => {
    const shown = disclose(base, "nearby", "bio", true);
    const next = disclose(shown, "match", "bio", false);
    expect(next.nearby.bio).toBe(false);
    expect(next.match.bio).toBe(false);
  });
});
