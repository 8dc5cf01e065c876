// The shared Field passes every extra prop through to its <input>, but its props type (HTML
// attributes in general) does not declare input-only ones such as autoComplete or maxLength.
// This names them once, checked, for the fields of this area.

import type { JSX } from "preact";

type InputOnly = Pick<
  JSX.AllHTMLAttributes<HTMLInputElement>,
  "autoComplete" | "maxLength" | "placeholder"
>;

export function inputAttrs(attrs: InputOnly): object {
  return attrs;
}
