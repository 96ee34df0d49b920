/**
 * A list that renders only the rows in view: the live tail keeps thousands of records and the page
 * draws a few dozen rows, so that a fast topic never freezes it. Rows have a fixed height; new items
 * go on top (newest first) and the view stays where the reader put it.
 */
export class VirtualList<T> {
  readonly element: HTMLElement
  readonly #spacer: HTMLElement
  readonly #rows: HTMLElement
  #items: T[] = []
  #scheduled = false

  constructor(
    private readonly rowHeight: number,
    private readonly capacity: number,
    private readonly renderRow: (item: T, index: number) => HTMLElement,
    label: string,
  ) {
    this.element = document.createElement('div')
    this.element.className = 'vlist'
    this.element.tabIndex = 0
    this.element.setAttribute('role', 'list')
    this.element.setAttribute('aria-label', label)
    this.#spacer = document.createElement('div')
    this.#spacer.className = 'vlist-spacer'
    this.#rows = document.createElement('div')
    this.#rows.className = 'vlist-rows'
    this.#spacer.appendChild(this.#rows)
    this.element.appendChild(this.#spacer)
    this.element.addEventListener('scroll', () => this.#schedule())
  }

  get size(): number {
    return this.#items.length
  }

  /** Adds items (oldest first in `items`); the newest is shown on top; past capacity the oldest go. */
  prepend(items: readonly T[]): void {
    if (items.length === 0) return
    const added = items.slice().reverse()
    this.#items = added.concat(this.#items)
    if (this.#items.length > this.capacity) this.#items.length = this.capacity
    // A reader who scrolled down keeps reading the same rows.
    if (this.element.scrollTop > 0) this.element.scrollTop += added.length * this.rowHeight
    this.#schedule()
  }

  clear(): void {
    this.#items = []
    this.#schedule()
  }

  #schedule(): void {
    if (this.#scheduled) return
    this.#scheduled = true
    requestAnimationFrame(() => {
      this.#scheduled = false
      this.#render()
    })
  }

  #render(): void {
    const height = this.element.clientHeight || 400
    const first = Math.max(0, Math.floor(this.element.scrollTop / this.rowHeight) - 5)
    const last = Math.min(this.#items.length, first + Math.ceil(height / this.rowHeight) + 10)
    this.#spacer.style.height = `${this.#items.length * this.rowHeight}px`
    this.#rows.style.transform = `translateY(${first * this.rowHeight}px)`
    const rows: HTMLElement[] = []
    for (let i = first; i < last; i++) {
      const row = this.renderRow(this.#items[i]!, i)
      row.setAttribute('role', 'listitem')
      row.style.height = `${this.rowHeight}px`
      rows.push(row)
    }
    this.#rows.replaceChildren(...rows)
  }
}
