import type { Message } from '../record/message'
import type { Topic } from '../topic/topic'
import type { TopicNamed } from '../topic/topic-options'

type AnyTopic = Topic<unknown, unknown, unknown, unknown>

/**
 * The message type `send` takes for a topic named `N` on a bus with declarations `D`.
 *
 * @example
 * ```ts
 * const message: MessageFor<{ orders: { value: Codec<Order> } }, 'orders'> = { key: 'o1', value: order }
 * ```
 */
export type MessageFor<D, N extends string> =
  TopicNamed<D, N> extends Topic<infer _K, infer _V, infer KIn, infer VIn> ? Message<KIn, VIn> : never

/**
 * One topic's part of `sendBatch`.
 *
 * @example
 * ```ts
 * const entry: TopicMessages = { topic: 'orders', messages: [{ value: 'a' }] }
 * ```
 */
export interface TopicMessages {
  topic: string | AnyTopic
  messages: readonly Message<unknown, unknown>[]
}
