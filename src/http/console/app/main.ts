import { connectorsView } from './connectors-view'
import { h, toast } from './dom'
import { groupsView, groupView } from './groups-view'
import { throughputView } from './throughput-view'
import { type Page, topicView } from './topic-view'
import { topicsView } from './topics-view'

/**
 * The console's entry: a hash router over the views (#/topics, #/topics/<name>, #/groups,
 * #/groups/<id>, #/throughput, #/connectors) and the light/dark switch.
 */
const main = document.getElementById('main') as HTMLElement
let current: Page | undefined
let rendering = 0

function navigate(hash: string): void {
  if (location.hash === hash) void render()
  else location.hash = hash
}

async function render(): Promise<void> {
  const ticket = ++rendering
  current?.dispose()
  current = undefined
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent)
  const section = parts[0] || 'topics'
  for (const link of document.querySelectorAll<HTMLAnchorElement>('[data-nav]')) {
    if (link.dataset.nav === section) link.setAttribute('aria-current', 'page')
    else link.removeAttribute('aria-current')
  }
  try {
    if (section === 'topics' && parts[1] !== undefined) {
      const page = await topicView(main, parts[1], navigate)
      if (ticket === rendering) current = page
      else page.dispose()
    } else if (section === 'groups' && parts[1] !== undefined) {
      await groupView(main, parts[1], () => void render())
    } else if (section === 'groups') await groupsView(main)
    else if (section === 'throughput') await throughputView(main)
    else if (section === 'connectors') await connectorsView(main)
    else await topicsView(main, navigate)
    document.title = `${parts[1] ?? section} · logbus console`
  } catch (error) {
    main.replaceChildren(h('h1', {}, 'Cannot show this page'), h('p', {}, (error as Error).message))
    toast((error as Error).message, 'error')
  }
}

function applyTheme(theme: 'light' | 'dark'): void {
  document.documentElement.dataset.theme = theme
  const button = document.getElementById('theme')!
  button.setAttribute('aria-pressed', String(theme === 'dark'))
  button.textContent = theme === 'dark' ? 'Light theme' : 'Dark theme'
}

const stored = localStorage.getItem('logbus-theme')
applyTheme(
  stored === 'dark' || stored === 'light'
    ? stored
    : matchMedia('(prefers-color-scheme: dark)').matches
      ? 'dark'
      : 'light',
)
document.getElementById('theme')!.addEventListener('click', () => {
  const next = document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark'
  localStorage.setItem('logbus-theme', next)
  applyTheme(next)
})
window.addEventListener('hashchange', () => {
  void render().then(() => main.focus({ preventScroll: true }))
})
void render()
