// A node:test reporter that ends the run with "e2e: N passed, N failed[, N skipped]".
// Only tests count, not the suites or the per-file wrappers around them.
export default async function* summary(source) {
  let passed = 0
  let failed = 0
  let skipped = 0
  for await (const ev of source) {
    if (ev.type !== 'test:pass' && ev.type !== 'test:fail') continue
    const d = ev.data
    if (d.details?.type === 'suite') continue
    // A file's own entry (nesting 0 with a file name) wraps its tests; count it only when
    // the file failed before any test ran.
    if (d.nesting === 0 && d.name === d.file && ev.type === 'test:pass') continue
    if (ev.type === 'test:fail') failed++
    else if (d.skip !== undefined || d.todo !== undefined) skipped++
    else passed++
  }
  yield `e2e: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`
}
