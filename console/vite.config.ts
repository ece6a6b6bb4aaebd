import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

/** Preact's JSX through Vite's own transform: no Babel preset needed for typed JSX. */
export default defineConfig({
  root: fileURLToPath(new URL("./src/app", import.meta.url)),
  base: "./",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: fileURLToPath(new URL("./dist", import.meta.url)),
    emptyOutDir: true,
    // Every asset is a file of its own: the CSP allows scripts and styles from 'self' only.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: "es2022",
  },
});
