/** Columns aligned with spaces, as Kafka's tools print them: a header row, then one row per item. */
export function table(
  header: readonly string[],
  rows: ReadonlyArray<ReadonlyArray<string | number | null>>,
): string {
  const cells = [header, ...rows.map((row) => row.map((c) => (c === null ? '-' : String(c))))]
  const widths = header.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)))
  return cells
    .map((row) => `${row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')}\n`)
    .join('')
}

/** `1 partition`, `3 partitions`. */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`
}
