import { defineConfig } from 'vite';

// Preact through TypeScript's automatic JSX runtime (tsconfig: jsxImportSource "preact"), which
// Vite's transformer reads; no Babel preset is needed for a production build.
export default defineConfig({
  base: '/app/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Nothing inline: the page's CSP allows only 'self' for scripts and styles.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    // hls.js and dash.js are large, but each is a chunk of its own, loaded only when a package plays.
    chunkSizeWarningLimit: 1000,
    target: 'es2022',
  },
});
