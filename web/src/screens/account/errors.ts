// API errors worded for the person who caused them.

import { ApiError } from "../../api/client";

/**
 * The auth service pins a short tag on the field ("too short") and says the readable sentence
 * in the message. Put the sentence beside the field instead, so the person reads it once,
 * where it belongs, in words.
 */
export function readable(error: unknown): unknown {
  if (!(error instanceof ApiError)) return error;
  const fields = error.fields;
  const only = fields[0];
  if (fields.length !== 1 || !only || /[.;]/.test(only.message)) return error;
  return new ApiError(error.status, error.code, error.message, [
    { field: only.field, message: error.message },
  ]);
}
