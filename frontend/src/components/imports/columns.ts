// Spreadsheet column letters and the choices the mapping step offers.

// columnLetter returns the letters of a 1-based column: 1 → A, 27 → AA.
export function columnLetter(col: number): string {
  let s = ''
  for (let n = col; n > 0; n = Math.floor((n - 1) / 26)) {
    s = String.fromCharCode(65 + ((n - 1) % 26)) + s
  }
  return s
}

export interface SheetRow {
  row: number
  cells: string[]
}

export interface ColumnChoice {
  column: number
  label: string
  sample: string
}

// columnChoices lists the columns named by the header row, with an example value from the
// rows below it, so the administrator sees what each column holds.
export function columnChoices(rows: SheetRow[], headerRow: number): ColumnChoice[] {
  const header = rows.find((r) => r.row === headerRow)?.cells ?? []
  const below = rows.filter((r) => r.row > headerRow)
  const width = Math.max(header.length, ...below.map((r) => r.cells.length), 0)
  const out: ColumnChoice[] = []
  for (let c = 1; c <= width; c++) {
    const name = (header[c - 1] ?? '').trim()
    const sample = below.map((r) => (r.cells[c - 1] ?? '').trim()).find((v) => v !== '') ?? ''
    out.push({ column: c, label: `${columnLetter(c)} · ${name || '(no heading)'}`, sample })
  }
  return out
}

// mappingProblems says, per field, what is wrong with the chosen columns: a column chosen
// for two fields, or neither an e-mail nor a name column.
export function mappingProblems(
  columns: Record<string, number | null>,
  labels: Record<string, string>,
): { byField: Record<string, string>; overall: string } {
  const byField: Record<string, string> = {}
  const users = new Map<number, string[]>()
  for (const [f, c] of Object.entries(columns)) {
    if (!c) continue
    users.set(c, [...(users.get(c) ?? []), f])
  }
  for (const [c, fields] of users) {
    if (fields.length < 2) continue
    for (const f of fields) {
      const others = fields.filter((g) => g !== f).map((g) => labels[g] ?? g)
      byField[f] = `Column ${columnLetter(c)} is also chosen for ${others.join(' and ')}; choose it for one field only.`
    }
  }
  const named = ['email', 'fullName', 'firstName', 'lastName'].some((f) => !!columns[f])
  return {
    byField,
    overall: named ? '' : 'Choose at least the e-mail column or a name column; without them there is nothing to check.',
  }
}
