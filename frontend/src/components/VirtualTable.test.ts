import { describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import { h, type Component } from 'vue'
import Table from './VirtualTable.vue'

// The component is generic in its row type; the tests use plain rows.
const VirtualTable = Table as unknown as Component

interface Row {
  id: string
  name: string
}

function table(total: number, loaded = (i: number) => i < total) {
  return mount(VirtualTable, {
    props: {
      label: 'People',
      columns: [{ key: 'name', title: 'Name', width: 200, grow: 1, sortable: true }],
      total,
      rowAt: (i: number): Row | undefined => (loaded(i) ? { id: `r${i}`, name: `Person ${i}` } : undefined),
      rowKey: (r: Row) => r.id,
    },
    slots: { cell: ({ row }: { row: Row }) => h('span', { class: 'name' }, row.name) },
  })
}

describe('VirtualTable', () => {
  it('draws only the rows near the view, however long the list', () => {
    const w = mount(VirtualTable, {
      props: {
        label: 'People',
        columns: [{ key: 'name', title: 'Name', width: 200 }],
        total: 100_000,
        rowAt: (i: number) => ({ id: `r${i}`, name: `Person ${i}` }),
        rowKey: (r: Row) => r.id,
      },
      slots: { cell: ({ row }: { row: Row }) => row.name },
    })
    const rows = w.findAll('.vt-row')
    expect(rows.length).toBeGreaterThan(0)
    expect(rows.length).toBeLessThan(50)
    expect(w.get('[role="grid"]').attributes('aria-rowcount')).toBe('100001')
    expect((w.emitted('range') as [number, number][])[0]).toEqual([0, rows.length])
    w.unmount()
  })

  it('shows a placeholder for rows still on their way', () => {
    const w = table(20, (i) => i < 3)
    expect(w.findAll('.vt-row.loading').length).toBeGreaterThan(0)
    expect(w.findAll('.name').map((n) => n.text())).toEqual(['Person 0', 'Person 1', 'Person 2'])
    w.unmount()
  })

  it('moves with the arrows, selects with Space and Shift+↓, opens with Enter', async () => {
    const w = mount(VirtualTable, {
      props: {
        label: 'People',
        columns: [{ key: 'name', title: 'Name', width: 200 }],
        total: 10,
        rowAt: (i: number) => ({ id: `r${i}`, name: `Person ${i}` }),
        rowKey: (r: Row) => r.id,
        selectable: true,
        selected: [] as string[],
      },
      slots: { cell: ({ row }: { row: Row }) => row.name },
      attachTo: document.body,
    })
    const grid = w.get('[role="grid"]')
    await grid.trigger('focus')
    expect(grid.attributes('aria-activedescendant')).toBe('vt-row-0')
    await grid.trigger('keydown', { key: 'ArrowDown' })
    expect(grid.attributes('aria-activedescendant')).toBe('vt-row-1')

    await grid.trigger('keydown', { key: ' ' })
    let sel = w.emitted('update:selected') as string[][][]
    expect(sel.at(-1)![0]).toEqual(['r1'])
    await w.setProps({ selected: ['r1'] })

    await grid.trigger('keydown', { key: 'ArrowDown', shiftKey: true })
    await grid.trigger('keydown', { key: 'ArrowDown', shiftKey: true })
    sel = w.emitted('update:selected') as string[][][]
    expect([...sel.at(-1)![0]].sort()).toEqual(['r1', 'r2', 'r3'])

    await grid.trigger('keydown', { key: 'End' })
    expect(grid.attributes('aria-activedescendant')).toBe('vt-row-9')
    await grid.trigger('keydown', { key: 'Enter' })
    const open = w.emitted('open') as [Row, number][]
    expect(open.at(-1)).toEqual([{ id: 'r9', name: 'Person 9' }, 9])
    await grid.trigger('keydown', { key: 'Home' })
    expect(grid.attributes('aria-activedescendant')).toBe('vt-row-0')
    w.unmount()
  })

  it('asks to sort by a sortable column and marks it for screen readers', async () => {
    const w = table(3)
    await w.get('.vt-th').trigger('click')
    expect(w.emitted('sort')).toEqual([['name']])
    await w.setProps({ sortKey: 'name', sortDesc: true })
    expect(w.get('.vt-th').attributes('aria-sort')).toBe('descending')
    w.unmount()
  })
})
