import { describe, expect, it } from "vitest";
import { ApiError } from "../../api/client";
import { readable } from "./errors";

describe("readable", () => {
  it("puts the sentence beside the field the server tagged tersely", () => {
    const error = new ApiError(422, "VALIDATION_ERROR", "That password is too common.", [
      { field: "password", message: "too common" },
    ]);
    const worded = readable(error) as ApiError;
    expect(worded.fields).toEqual([{ field: "password", message: "That password is too common." }]);
    expect(worded.message).toBe("That password is too common.");
  });
  it("leaves worded field messages and other errors alone", () => {
    const worded = new ApiError(422, "VALIDATION_ERROR", "The request is not valid.", [
      { loc: ["body", "email"], msg: "value is not a valid email address: no @." },
    ]);
    expect(readable(worded)).toBe(worded);
    const unauthorized = new ApiError(401, "UNAUTHORIZED", "The email or password is incorrect.");
    expect(readable(unauthorized)).toBe(unauthorized);
    const offline = new Error("offline");
    expect(readable(offline)).toBe(offline);
  });
});
