import { JoinWindowStore, OuterJoinBuffer } from './join-store'
import { KeyValueStore } from './key-value-store'
import { SessionStore } from './session-store'
import type { StoreSpec } from './store'
import { SuppressBuffer } from './suppress-buffer'
import { WindowStore } from './window-store'

/** Kafka's `windowstore.changelog.additional.retention.ms`: a windowed changelog outlives its store by a day. */
const CHANGELOG_EXTRA_RETENTION_MS = 24 * 60 * 60 * 1000

/** A key-value store with its own changelog (aggregations, `toTable`, buffers). */
export function keyValueStore(name: string): StoreSpec<KeyValueStore> {
  return {
    name,
    restoreFrom: 'changelog',
    changelogRetentionMs: null,
    create: () => new KeyValueStore(name, true),
  }
}

/** The store of a table read from a topic: the topic is its changelog (Kafka's source-topic optimization). */
export function sourceTableStore(name: string): StoreSpec<KeyValueStore> {
  return {
    name,
    restoreFrom: 'source',
    changelogRetentionMs: null,
    create: () => new KeyValueStore(name, false),
  }
}

/** The store of a windowed aggregation. */
export function windowStore(name: string, retentionMs: number): StoreSpec<WindowStore> {
  return {
    name,
    restoreFrom: 'changelog',
    changelogRetentionMs: retentionMs + CHANGELOG_EXTRA_RETENTION_MS,
    create: () => new WindowStore(name, retentionMs),
  }
}

/** The store of a session-windowed aggregation. */
export function sessionStore(name: string, retentionMs: number): StoreSpec<SessionStore> {
  return {
    name,
    restoreFrom: 'changelog',
    changelogRetentionMs: retentionMs + CHANGELOG_EXTRA_RETENTION_MS,
    create: () => new SessionStore(name, retentionMs),
  }
}

/** The records one side of a stream–stream join keeps. */
export function joinWindowStore(name: string, retentionMs: number): StoreSpec<JoinWindowStore> {
  return {
    name,
    restoreFrom: 'changelog',
    changelogRetentionMs: retentionMs + CHANGELOG_EXTRA_RETENTION_MS,
    create: () => new JoinWindowStore(name, retentionMs),
  }
}

/** The unmatched records of a left or outer stream–stream join. */
export function outerJoinBuffer(name: string): StoreSpec<OuterJoinBuffer> {
  return {
    name,
    restoreFrom: 'changelog',
    changelogRetentionMs: null,
    create: () => new OuterJoinBuffer(name),
  }
}

/** The buffer of `suppress(untilWindowCloses)`. */
export function suppressBuffer(name: string): StoreSpec<SuppressBuffer> {
  return {
    name,
    restoreFrom: 'changelog',
    changelogRetentionMs: null,
    create: () => new SuppressBuffer(name),
  }
}
