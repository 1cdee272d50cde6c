import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// `npm run dev` serves the console with hot reload and forwards the admin API to a running patchbay
// (PATCHBAY_URL, default http://127.0.0.1:8080), so the session cookie stays same-origin.
const apiTarget = process.env['PATCHBAY_URL'] ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true },
  server: { proxy: { '/api': { target: apiTarget, changeOrigin: false } } },
});
