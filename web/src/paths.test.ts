import { describe, expect, it } from "vitest";
import { match, parse } from "./paths";

describe("parse", () => {
  it("splits the path from the query", () => {
    const where = parse("#/reset-password?token=a%2Bb");
    expect(where.path).toBe("/reset-password");
    expect(where.query.get("token")).toBe("a+b");
  });
  it("takes an empty hash for the start", () => {
    expect(parse("").path).toBe("/");
  });
});

describe("match", () => {
  it("returns the named parts, decoded", () => {
    expect(match("/chat/:roomId", "/chat/a%20b")).toEqual({ roomId: "a b" });
  });
  it("refuses other shapes and empty parts", () => {
    expect(match("/chat/:roomId", "/chat")).toBeNull();
    expect(match("/chat/:roomId", "/chat/")).toBeNull();
    expect(match("/chat/:roomId", "/matches/x")).toBeNull();
  });
});
