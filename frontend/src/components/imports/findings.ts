// How findings look on the Imports screen. The codes and their labels come from Go
// (backend/quality); only colours and the wording of suggested actions live here.

export interface TagColour {
  color: string
  textColor: string
  borderColor: string
}

// One hue per code so that a glance at a row tells its problems apart; the label is always
// written on the badge too, so colour is never the only signal.
const hues: Record<string, { light: TagColour; dark: TagColour }> = {
  missing_email: pair('#fde8e8', '#9b1c1c', '#f3b1b1', '#f87171'),
  invalid_email: pair('#fce7f3', '#9d174d', '#f2b2d4', '#f472b6'),
  duplicate_email: pair('#ffedd5', '#9a3412', '#fdba74', '#fb923c'),
  shared_email: pair('#fef3c7', '#854d0e', '#f7d064', '#facc15'),
  possible_duplicate: pair('#ecfccb', '#3f6212', '#bfe27a', '#a3e635'),
  organisation_row: pair('#ede9fe', '#5b21b6', '#c4b5fd', '#a78bfa'),
  non_member: pair('#e2e8f0', '#334155', '#a9b6c8', '#94a3b8'),
  has_access: pair('#ccfbf1', '#115e59', '#7fdccb', '#2dd4bf'),
  role_expired: pair('#dbeafe', '#1e40af', '#a4c6fb', '#60a5fa'),
}

const fallback = pair('#f1f5f9', '#334155', '#cbd5e1', '#94a3b8')

function pair(bg: string, text: string, border: string, darkAccent: string): { light: TagColour; dark: TagColour } {
  return {
    light: { color: bg, textColor: text, borderColor: border },
    dark: { color: `${darkAccent}26`, textColor: darkAccent, borderColor: `${darkAccent}66` },
  }
}

export function findingColour(code: string, dark: boolean): TagColour {
  const h = hues[code] ?? fallback
  return dark ? h.dark : h.light
}

export const knownCodes = Object.keys(hues)

const actionWords: Record<string, string> = {
  exclude: 'Exclude the row',
  fix: 'Fix the cell',
  merge: 'Merge with the related rows',
}

// actionText says what the administrator is advised to do, as a sentence.
export function actionText(action: string): string {
  return actionWords[action] ?? 'Review the row'
}

// describeFinding is the whole finding as one sentence for tooltips and screen readers.
export function describeFinding(f: { message: string; action: string; suggestion?: string; related?: number[] }): string {
  const parts = [f.message.trim()]
  let advice = `Suggested: ${actionText(f.action).toLowerCase()}`
  if (f.suggestion) advice += ` (use “${f.suggestion}”)`
  parts.push(advice + '.')
  if (f.related && f.related.length > 0) {
    parts.push(`Related ${f.related.length === 1 ? 'row' : 'rows'}: ${f.related.join(', ')}.`)
  }
  return parts.join(' ')
}

// stateLabels names the states of an import session for badges.
export const stateLabels: Record<string, { label: string; type: 'default' | 'info' | 'warning' | 'success' | 'primary' }> = {
  reading: { label: 'Reading', type: 'info' },
  mapping: { label: 'Columns to confirm', type: 'warning' },
  review: { label: 'In review', type: 'primary' },
  applied: { label: 'Imported', type: 'success' },
  abandoned: { label: 'Abandoned', type: 'default' },
}
