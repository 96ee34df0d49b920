/** Where the file storage keeps what is not a partition's log: topics, offsets, the markers. */
export const META_DIR = '__logbus'
/** The committed group offsets' log, under META_DIR. */
export const OFFSETS_DIR = 'offsets-0'
/** The topic name the offsets log reports itself under (in damage reports, errors). */
export const OFFSETS_TOPIC = '__logbus_offsets'
export const TOPICS_FILE = 'topics.json'
export const CLEAN_FILE = 'clean-shutdown.json'
/** In a partition directory: the offset before which records were deleted (DeleteRecords, retention). */
export const LOG_START_FILE = 'log-start-offset'

/**
 * The topic a `<topic>-<partition>` directory belongs to, or undefined for another name.
 *
 * @example
 * ```ts
 * topicOfPartitionDir('orders-eu-3') // 'orders-eu'
 * ```
 */
export function topicOfPartitionDir(entry: string): string | undefined {
  const match = /^(.*)-(\d+)$/.exec(entry)
  return match?.[1]
}
