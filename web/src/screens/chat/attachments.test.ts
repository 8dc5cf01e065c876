import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { unhex } from "../../e2ee/primitives";
import {
  blobType,
  decryptFile,
  encodeRef,
  encryptFile,
  fromBase64,
  isInlineImage,
  parseRef,
  toBase64,
} from "./attachments";

describe("attachments", () => {
  it("shows only plain pictures inline; a page or a script a peer sends stays opaque bytes", () => {
    expect(isInlineImage("image/jpeg")).toBe(true);
    expect(blobType("IMAGE/PNG")).toBe("image/png");
    for (const risky of [
      "image/svg+xml",
      "text/html",
      "application/xhtml+xml",
      "text/javascript",
      "",
    ]) {
      expect(isInlineImage(risky)).toBe(false);
      expect(blobType(risky)).toBe("application/octet-stream");
    }
  });

  it("encrypts a file so only its reference's key opens it", async () => {
    const plain = new TextEncoder().encode("a photo's bytes");
    const sealed = await encryptFile(plain);
    expect(sealed.ciphertext.length).toBe(plain.length + 16);
    expect(new TextDecoder().decode(sealed.ciphertext)).not.toContain("photo");
    const ref = { mediaId: "m1", name: "p.jpg", type: "image/jpeg", size: plain.length, ...sealed };
    expect(await decryptFile(sealed.ciphertext, ref)).toEqual(plain);
    const wrongKey = { ...ref, key: toBase64(new Uint8Array(32)) };
    await expect(decryptFile(sealed.ciphertext, wrongKey)).rejects.toThrow();
  });

  it("reads back the reference it writes, and nothing else", () => {
    const key = toBase64(new Uint8Array(32));
    const iv = toBase64(new Uint8Array(12));
    const ref = { mediaId: "m1", key, iv, name: "a.png", type: "image/png", size: 3 };
    expect(parseRef(encodeRef(ref))).toEqual(ref);
    expect(parseRef(new TextEncoder().encode("hello"))).toBeNull();
    expect(parseRef(new TextEncoder().encode('disco-attachment:1\n{"mediaId":1}'))).toBeNull();
    expect(parseRef(null)).toBeNull();
    for (const bad of [
      { ...ref, size: 1.5 },
      { ...ref, size: -3 },
      { ...ref, key: "k" },
      { ...ref, iv: toBase64(new Uint8Array(16)) },
      { ...ref, mediaId: "../../v1/auth/me?" },
    ]) {
      expect(parseRef(encodeRef(bad))).toBeNull();
    }
    const withBom = new Uint8Array([0xef, 0xbb, 0xbf, ...encodeRef(ref)]);
    expect(parseRef(withBom)).toBeNull();
    const badUtf8 = new Uint8Array([...encodeRef(ref).slice(0, -2), 0xff, 0x7d]);
    expect(parseRef(badUtf8)).toBeNull();
  });

  it("round-trips base64", () => {
    const bytes = new Uint8Array([0, 1, 254, 255, 128]);
    expect(fromBase64(toBase64(bytes))).toEqual(bytes);
  });

  it("opens the test vector the Python SDK writes, and writes its reference byte for byte", async () => {
    const vectors = JSON.parse(
      readFileSync(new URL("../../../../tests/vectors/e2ee.json", import.meta.url), "utf8"),
    );
    const given = vectors.inputs.attachment;
    const expected = vectors.expected.attachment;
    const ref = parseRef(unhex(expected.body));
    expect(ref).not.toBeNull();
    if (ref === null) return;
    expect([ref.mediaId, ref.name, ref.type]).toEqual([given.mediaId, given.name, given.type]);
    expect(encodeRef(ref)).toEqual(unhex(expected.body));
    const file = await decryptFile(new Uint8Array(unhex(expected.upload)), ref);
    expect(file).toEqual(unhex(given.file));
  });
});
