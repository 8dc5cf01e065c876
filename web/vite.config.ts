// Builds the web client into the Python package, where the gateway serves it at /.
import preact from "@preact/preset-vite";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [preact()],
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
