// Starts the Go test harness (app/cmd/harness): the real App, its bound methods over HTTP
// and the built frontend with the bridge shim.
import { spawn, execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

export const frontendDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const repoDir = resolve(frontendDir, '..')
export const distDir = join(frontendDir, 'dist')

let built

// harnessBinary returns $HARNESS_BIN (make test builds it once) or builds it into a
// temporary folder, once per test process.
export function harnessBinary() {
  if (process.env.HARNESS_BIN) return resolve(process.env.HARNESS_BIN)
  if (!built) {
    built = join(mkdtempSync(join(tmpdir(), 'gatehouse-harness-bin-')), 'harness')
    execFileSync('go', ['build', '-o', built, './app/cmd/harness'], { cwd: repoDir, stdio: 'inherit' })
  }
  return built
}

export function frontendBuilt() {
  return existsSync(join(distDir, 'index.html'))
}

// startHarness starts a harness with a fresh data folder and returns once it listens.
//   const h = await startHarness({ version: 'e2e' })
//   h.url, h.dataDir, h.databasePath
//   await h.call('app.ConnectionService.About')           // a bound method, straight from Node
//   await h.drop(['/abs/file.xlsx'])        // as if dropped onto the window
//   await h.answerOpenFile('/abs/file')     // next open-file dialog answers this
//   await h.answerSaveFile('/abs/out.xlsx') // next save-file dialog answers this
//   const code = await h.stop()             // SIGTERM; resolves with the exit code
// startTimeout (ms) is how long it may take to listen: longer for a harness that seeds.
export async function startHarness({ version = 'e2e', dataDir, extraArgs = [], startTimeout = 30_000 } = {}) {
  const args = ['-addr', '127.0.0.1:0', '-dist', distDir, '-version', version, ...extraArgs]
  if (dataDir) args.push('-data', dataDir)
  const child = spawn(harnessBinary(), args, { cwd: repoDir, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (b) => {
    stderr += b
    if (process.env.HARNESS_VERBOSE) process.stderr.write(b)
  })
  const exited = new Promise((res) => {
    child.on('exit', (code, signal) => res(code ?? signal))
    child.on('error', (err) => {
      stderr += `${err.message}\n`
      res(err.code ?? 'error')
    })
  })

  const info = await new Promise((res, rej) => {
    const found = {}
    const timer = setTimeout(() => rej(new Error(`harness did not start within ${startTimeout / 1000} s:\n${stderr}`)), startTimeout)
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /^HARNESS_(URL|DATA|TOKEN)=(.*)$/.exec(line)
      if (m) found[m[1]] = m[2]
      if (found.URL && found.DATA && found.TOKEN) {
        clearTimeout(timer)
        res(found)
      }
    })
    exited.then((code) => {
      clearTimeout(timer)
      rej(new Error(`harness exited (${code}) before listening:\n${stderr}`))
    })
  })

  const url = info.URL
  let methods // the bound method names, read once (see bound)
  // Every call to /bridge/ and /harness/ carries this run's token (the page gets it as a
  // cookie with index.html).
  const request = (path, init = {}) => fetch(new URL(path, url), { ...init, headers: { ...init.headers, 'X-Harness-Token': info.TOKEN } })
  const post = async (path, body) => {
    const res = await request(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    })
    if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`)
    return res.status === 204 ? null : res.json()
  }
  return {
    url,
    dataDir: info.DATA,
    databasePath: join(info.DATA, 'gatehouse.db'),
    token: info.TOKEN,
    stderr: () => stderr,
    async call(method, ...args) {
      const res = await request(`/bridge/call/${method}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(args),
      })
      const body = await res.json()
      if (!res.ok) throw Object.assign(new Error(String(body.error)), { status: res.status, payload: body.error })
      return body.result
    },
    // bound names a method by its service: bound('SyncNow') is 'app.ConnectionService.SyncNow'.
    async bound(method) {
      methods ??= await (await request('/bridge/methods')).json()
      const found = methods.filter((m) => m.endsWith(`.${method}`))
      if (found.length !== 1) throw new Error(`${method}: ${found.length} bound methods have that name`)
      return found[0]
    },
    drop: (paths, x = 10, y = 10) => post('/harness/drop', { x, y, paths }),
    // info: the data folder, the embedded portal's address and the SMTP sink's port.
    async info() {
      return (await request('/harness/info')).json()
    },
    // mail lists what the harness's SMTP sink (go-smtp) has received, decoded.
    async mail() {
      return (await (await request('/harness/mail')).json()).messages
    },
    // waitForMail waits until the sink holds at least n messages and returns them.
    async waitForMail(n, timeout = 60_000) {
      const end = Date.now() + timeout
      for (;;) {
        const got = await this.mail()
        if (got.length >= n) return got
        if (Date.now() > end) throw new Error(`${got.length} of ${n} messages reached the SMTP sink within ${timeout} ms`)
        await new Promise((r) => setTimeout(r, 100))
      }
    },
    // mailTo waits for the n-th message to addr at the sink and returns it.
    async mailTo(addr, n = 1, timeout = 30_000) {
      const end = Date.now() + timeout
      for (;;) {
        const mine = (await this.mail()).filter((m) => m.to.some((t) => t.toLowerCase() === addr.toLowerCase()))
        if (mine.length >= n) return mine[n - 1]
        if (Date.now() > end) throw new Error(`no message ${n} to ${addr} within ${timeout} ms`)
        await new Promise((r) => setTimeout(r, 150))
      }
    },
    // browserOpened lists what the App asked the system browser to open.
    async browserOpened() {
      return (await (await request('/harness/browser')).json()).urls
    },
    answerOpenFile: (path) => post('/harness/dialog/open', { path }),
    answerSaveFile: (path) => post('/harness/dialog/save', { path }),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
        const code = await exited
        clearTimeout(timer)
        return code
      }
      return exited
    },
  }
}
