import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// In development the runtime runs beside Vite; the built editor is served by the runtime itself at `/`.
const runtime = `http://127.0.0.1:${process.env.RUNTIME_PORT ?? '4317'}`;

export default defineConfig({
  plugins: [react()],
  base: './',
  build: { outDir: 'dist', sourcemap: true, chunkSizeWarningLimit: 2000 },
  server: {
    proxy: {
      '/api': runtime,
      '/socket.io': { target: runtime, ws: true },
    },
  },
});
