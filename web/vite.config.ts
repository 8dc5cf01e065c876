// Builds the web client into the Python package, where the gateway serves it at /.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import preact from "@preact/preset-vite";
import type { Plugin } from "vite";
import { defineConfig } from "vitest/config";

const require = createRequire(import.meta.url);

/**
 * Swagger UI's files beside the app (`/api-docs/...`), so the gateway's `/docs` works with no
 * internet: FastAPI's default page loads them from a CDN.
 */
function apiDocsAssets(): Plugin {
  const files = ["swagger-ui-bundle.js", "swagger-ui.css"];
  return {
    name: "disco-api-docs-assets",
    apply: "build",
    generateBundle() {
      for (const file of files) {
        const source = readFileSync(require.resolve(`swagger-ui-dist/${file}`));
        this.emitFile({ type: "asset", fileName: `api-docs/${file}`, source });
      }
    },
  };
}

export default defineConfig({
  plugins: [preact(), apiDocsAssets()],
  base: "./",
  build: {
    outDir: "../src/disco/web",
    emptyOutDir: true,
    // Browsers of the last few years; libsodium's WebAssembly needs nothing newer.
    target: "es2022",
    chunkSizeWarningLimit: 1500,
  },
  test: {
    environment: "node",
    include: ["src/**/*.test.ts"],
  },
});
