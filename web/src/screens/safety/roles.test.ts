import { describe, expect, it } from "vitest";
import { isModerator, tokenRoles } from "./roles";

function token(payload: object): string {
  const body = btoa(JSON.stringify(payload)).replace(/=+$/, "").replace(/\+/g, "-");
  return `header.${body}.signature`;
}

describe("roles", () => {
  it("reads the roles claim of an access token", () => {
    expect(tokenRoles(token({ sub: "u1", roles: ["moderator"] }))).toEqual(["moderator"]);
    expect(tokenRoles(token({ sub: "u1" }))).toEqual([]);
    expect(tokenRoles("not a token")).toEqual([]);
    expect(tokenRoles(null)).toEqual([]);
  });

  it("knows a moderator by their account or their token", () => {
    const user = { id: "u1", email: "a@example.com" };
    expect(isModerator({ ...user, roles: ["moderator"] }, null)).toBe(true);
    expect(isModerator(user, token({ roles: ["moderator"] }))).toBe(true);
    expect(isModerator(user, token({ roles: [] }))).toBe(false);
  });
});
