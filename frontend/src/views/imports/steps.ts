// Small decisions of the Imports screen, kept apart so they can be tested.

// autoRecheckMaxRows: imports up to this size are checked again after every change, so the
// counts follow each fix at once; larger ones wait for "Re-run checks" (a check of 100,000
// rows takes a few seconds).
export const autoRecheckMaxRows = 5000

export function autoRecheck(dataRows: number): boolean {
  return dataRows <= autoRecheckMaxRows
}

// defaultDayFirst guesses how texty dates such as 03/04/2024 are written: month first only
// where that is the custom (the United States and a few others), day first elsewhere.
export function defaultDayFirst(locale: string | undefined): boolean {
  const region = (locale ?? '').split(/[-_]/)[1]?.toUpperCase() ?? ''
  return !['US', 'PH', 'FM', 'MH', 'PW', 'GU', 'AS', 'MP', 'PR', 'VI', 'UM'].includes(region)
}

// baseName is the file name of a path from Windows, macOS or Linux.
export function baseName(path: string): string {
  const parts = path.split(/[\\/]/)
  return parts[parts.length - 1] || path
}
