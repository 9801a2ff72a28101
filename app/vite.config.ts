import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";

// The order gateway sends no CORS headers: the dev server serves it under
// the app's origin, WebSocket stream included.
const gateway = process.env.AIP_GATEWAY_URL ?? "http://127.0.0.1:8787";

export default defineConfig({
  plugins: [react()],
  worker: { format: "es" },
  build: { target: "es2022", chunkSizeWarningLimit: 2560 },
  server: {
    proxy: {
      "/gateway": { target: gateway, changeOrigin: true, ws: true, rewrite: (p) => p.replace(/^\/gateway/, "") },
    },
  },
  test: { include: ["tests/unit/**/*.test.ts"], environment: "node" },
});
