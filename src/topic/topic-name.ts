import { InvalidTopicError } from '../errors'

/** Kafka's limit: 249, so that `<name>-<partition>` directory names fit in 255 bytes. */
const MAX_TOPIC_NAME_LENGTH = 249
const LEGAL_TOPIC_NAME = /^[a-zA-Z0-9._-]+$/

/** Throws InvalidTopicError unless `name` follows Kafka's topic naming rules. */
export function validateTopicName(name: unknown): asserts name is string {
  if (typeof name !== 'string') throw new InvalidTopicError(String(name), 'must be a string')
  if (name.length === 0) throw new InvalidTopicError(name, 'must not be empty')
  if (name === '.' || name === '..') throw new InvalidTopicError(name, 'cannot be "." or ".."')
  if (name.length > MAX_TOPIC_NAME_LENGTH) {
    throw new InvalidTopicError(name, `is longer than ${MAX_TOPIC_NAME_LENGTH} characters`)
  }
  if (!LEGAL_TOPIC_NAME.test(name)) {
    throw new InvalidTopicError(name, 'may only contain ASCII letters, digits, ".", "_" and "-"')
  }
}
