import { HandlerError } from '../errors'
import type { LogRecord } from '../record/log-record'
import type { Message } from '../record/message'
import { deadLetterMessage } from './dead-letter'
import type { FailurePolicy } from './options'
import type { PartitionState } from './partition-state'

/** What the failure policy acts through. */
export interface FailureHost {
  readonly groupId: string | undefined
  readonly policy: FailurePolicy
  crash(error: Error): void
  pause(topic: string, partition: number): void
  send(topic: string, message: Message<unknown, unknown>): Promise<unknown>
  /** Commits what was processed (with a group), after a record went to the dead-letter topic. */
  commit(): Promise<void>
  failed(event: {
    topic: string
    partition: number
    offset: number
    error: HandlerError
    action: 'paused' | 'skipped' | 'dead-lettered'
  }): void
}

/**
 * A record failed past its retries: pause its partition, skip it, send it to the dead-letter topic, or
 * crash, as `onFailure` says. Only a record that is dealt with counts as processed.
 */
export async function applyFailurePolicy(
  host: FailureHost,
  state: PartitionState,
  record: LogRecord<unknown, unknown>,
  cause: unknown,
): Promise<void> {
  const error = new HandlerError(record.topic, record.partition, record.offset, cause)
  const { topic, partition, offset } = record
  const policy = host.policy
  if (policy === 'crash') {
    host.crash(error)
    return
  }
  if (policy === 'pause') {
    host.pause(topic, partition)
    state.attempts = 0
    host.failed({ topic, partition, offset, error, action: 'paused' })
    return
  }
  if (typeof policy === 'object') {
    try {
      await host.send(policy.deadLetter, deadLetterMessage(record, error, state, host.groupId))
    } catch (sendError) {
      host.crash(
        new HandlerError(
          topic,
          partition,
          offset,
          sendError,
          `could not be sent to the dead-letter topic "${policy.deadLetter}"`,
        ),
      )
      return
    }
  }
  // Past the record: skipped, or safely in the dead-letter topic.
  if (state.position === offset && !state.revoked) {
    state.position = state.processed = offset + 1
    state.attempts = 0
  }
  host.failed({ topic, partition, offset, error, action: policy === 'skip' ? 'skipped' : 'dead-lettered' })
  if (typeof policy === 'object') await host.commit()
}
