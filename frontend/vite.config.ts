import { writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import vue from '@vitejs/plugin-vue'
import { defineConfig, type Plugin } from 'vitest/config'

// Vite empties dist/ on every build, but main.go's //go:embed all:frontend/dist needs a
// file there even in a fresh clone that never built the frontend. Git tracks
// dist/.gitkeep; this writes it back after each build.
function keepDistPlaceholder(): Plugin {
  let outDir = 'dist'
  return {
    name: 'gatehouse-keep-dist-placeholder',
    apply: 'build',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir)
    },
    closeBundle() {
      writeFileSync(
        resolve(outDir, '.gitkeep'),
        'Placeholder so that //go:embed all:frontend/dist compiles before the frontend is built.\n',
      )
    },
  }
}

export default defineConfig({
  plugins: [vue(), keepDistPlaceholder()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
  },
})
